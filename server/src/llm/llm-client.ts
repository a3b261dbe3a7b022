import OpenAI, { toFile } from 'openai';
import { z } from 'zod';
import type { LlmConfig } from './llm-config';
import { doneOutside } from '../db/tx';

/** A model call that failed or never produced valid output; callers fall back to rules. */
export class LlmError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

export interface JsonRequest<S extends z.ZodType> {
  /** Output schema; the reply is validated against it. Use nullable (not optional) fields: strict mode needs every key. */
  schema: S;
  /** Schema name sent to the provider ([a-zA-Z0-9_-]). */
  name: string;
  system: string;
  user: string;
  temperature?: number;
}

export interface AudioInput {
  data: Buffer;
  /** e.g. voice.webm; providers use the extension to pick a decoder. */
  filename: string;
  mimeType: string;
}

/**
 * The project's OpenAI-compatible client (openai SDK, configurable base URL). Two operations:
 * `json()` — a chat completion whose reply must match a zod schema, retried once when the reply is blank,
 * not JSON or off-schema; `transcribe()` — speech to text. No SDK retries: one retry is ours and deliberate.
 */
export class LlmClient {
  private readonly sdk: OpenAI;

  constructor(readonly config: LlmConfig) {
    this.sdk = new OpenAI({
      apiKey: config.apiKey || 'unset',
      baseURL: config.baseUrl,
      timeout: config.timeoutMs ?? 20_000,
      maxRetries: 0,
    });
  }

  get canTranscribe(): boolean {
    return !!this.config.asrModel;
  }

  async json<S extends z.ZodType>(req: JsonRequest<S>): Promise<z.output<S>> {
    const mode = this.config.jsonMode ?? 'json_schema';
    const jsonSchema = strictJsonSchema(req.schema);
    const system =
      mode === 'json_object'
        ? // json_object providers (DeepSeek) need the word "json" and the shape in the prompt.
          `${req.system}\n\n只输出一个 JSON 对象，符合以下 JSON Schema：\n${JSON.stringify(jsonSchema)}`
        : req.system;
    const responseFormat =
      mode === 'json_object'
        ? ({ type: 'json_object' } as const)
        : ({ type: 'json_schema', json_schema: { name: req.name, strict: true, schema: jsonSchema } } as const);
    let lastProblem = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      let content: string | null | undefined;
      try {
        doneOutside(); // a paid call: a rerun of the request would pay again
        const res = await this.sdk.chat.completions.create({
          model: this.config.model,
          temperature: req.temperature ?? 0,
          response_format: responseFormat,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: req.user },
          ],
        });
        content = res.choices[0]?.message?.content;
      } catch (err) {
        lastProblem = describe(err);
        continue;
      }
      const parsed = parseJson(content);
      if (!parsed.ok) {
        lastProblem = parsed.problem;
        continue;
      }
      const checked = req.schema.safeParse(parsed.value);
      if (checked.success) return checked.data;
      lastProblem = `off-schema reply: ${checked.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`;
    }
    throw new LlmError(`LLM ${req.name} failed twice: ${lastProblem}`, 2);
  }

  /** Speech to text in Chinese. Throws LlmError on any failure (caller shows a message, nothing is saved). */
  async transcribe(audio: AudioInput): Promise<string> {
    const model = this.config.asrModel;
    if (!model) throw new LlmError('no ASR model configured', 0);
    doneOutside();
    try {
      if ((this.config.asrMode ?? 'transcriptions') === 'transcriptions') {
        const file = await toFile(audio.data, audio.filename, { type: audio.mimeType });
        const res = await this.sdk.audio.transcriptions.create({ file, model, language: 'zh' });
        return res.text.trim();
      }
      // Audio-in-chat (Qwen3-ASR on DashScope compatible mode): the audio goes as a data URL in an input_audio part.
      const res = await this.sdk.chat.completions.create({
        model,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'input_audio',
                input_audio: { data: `data:${audio.mimeType};base64,${audio.data.toString('base64')}`, format: audioFormat(audio.filename) },
              },
            ],
          },
        ],
      });
      return (res.choices[0]?.message?.content ?? '').trim();
    } catch (err) {
      throw new LlmError(`transcription failed: ${describe(err)}`, 1);
    }
  }
}

function audioFormat(filename: string): 'wav' | 'mp3' {
  return /\.mp3$/i.test(filename) ? 'mp3' : 'wav';
}

function parseJson(content: string | null | undefined): { ok: true; value: unknown } | { ok: false; problem: string } {
  const text = (content ?? '').trim();
  if (!text) return { ok: false, problem: 'blank reply' };
  // Some json_object providers wrap the object in a ``` fence.
  const unfenced = text.replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  try {
    return { ok: true, value: JSON.parse(unfenced) };
  } catch {
    return { ok: false, problem: 'reply is not JSON' };
  }
}

function describe(err: unknown): string {
  if (err instanceof OpenAI.APIError) return `HTTP ${err.status ?? '-'} ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * JSON Schema for OpenAI strict mode: every object lists all its keys as required and allows no others
 * (zod's output schema does not always say so).
 */
function strictJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const js = z.toJSONSchema(schema, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
  delete js.$schema;
  return tighten(js) as Record<string, unknown>;
}

function tighten(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tighten);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = tighten(v);
  if (out.type === 'object' && out.properties && typeof out.properties === 'object') {
    out.required = Object.keys(out.properties);
    out.additionalProperties = false;
  }
  return out;
}
