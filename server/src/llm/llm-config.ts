/**
 * An OpenAI-compatible provider. Providers differ in what they support, so the capabilities are
 * configuration rather than guesses: `jsonMode` (strict json_schema vs json_object + validation) and
 * `asrMode` (`/audio/transcriptions` vs an audio part in a chat completion, e.g. Qwen3-ASR on DashScope).
 */
export interface LlmConfig {
  baseUrl: string;
  apiKey: string;
  model: string;
  /** default json_schema (OpenAI, Qwen3, newer DashScope models); DeepSeek needs json_object. */
  jsonMode?: 'json_schema' | 'json_object';
  /** Speech-to-text model; unset = no server-side transcription. */
  asrModel?: string;
  /** default transcriptions. */
  asrMode?: 'transcriptions' | 'chat_audio';
  /** Per request; default 20 s. */
  timeoutMs?: number;
}
