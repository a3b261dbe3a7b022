import { HttpFake, type FakeRequest } from './http-fake';

/**
 * Fake OpenAI-compatible server (`/v1/chat/completions`, `/v1/audio/transcriptions`) that records every
 * request and checks the Bearer key. Tests set what the "model" answers with `chatReply`/`transcript`,
 * or queue raw failures with `inject()`.
 */
export class FakeLlm extends HttpFake {
  /** Content of the next chat completion(s); a function gets the request (e.g. to echo the transcript). */
  chatReply: string | ((req: FakeRequest) => string) = '{}';
  /** Text returned by /audio/transcriptions and by audio-in-chat requests. */
  transcript = '';

  constructor(readonly apiKey = 'sk-fake-llm-key') {
    super();
    this.route('POST', '/v1/chat/completions', (req) => {
      if (!this.keyOk(req)) return unauthorised();
      const audio = hasAudioPart(req.body);
      const content = audio ? this.transcript : typeof this.chatReply === 'function' ? this.chatReply(req) : this.chatReply;
      return {
        json: {
          id: `chatcmpl-${this.requests.length}`,
          object: 'chat.completion',
          created: 1_768_442_400,
          model: req.body?.model ?? 'fake',
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
          usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
        },
      };
    });
    this.route('POST', '/v1/audio/transcriptions', (req) => {
      if (!this.keyOk(req)) return unauthorised();
      if (!String(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
        return { status: 400, json: { error: { message: 'expected multipart/form-data', type: 'invalid_request_error' } } };
      }
      if (!/name="file"; filename="/.test(req.raw) || !/name="model"/.test(req.raw)) {
        return { status: 400, json: { error: { message: 'file and model are required', type: 'invalid_request_error' } } };
      }
      return { json: { text: this.transcript } };
    });
  }

  get v1(): string {
    return `${this.base}/v1`;
  }

  chatCalls(): FakeRequest[] {
    return this.calls('POST', '/v1/chat/completions');
  }

  private keyOk(req: FakeRequest): boolean {
    return req.headers.authorization === `Bearer ${this.apiKey}`;
  }
}

function unauthorised() {
  return { status: 401, json: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } };
}

function hasAudioPart(body: any): boolean {
  return Array.isArray(body?.messages) && body.messages.some((m: any) => Array.isArray(m.content) && m.content.some((p: any) => p?.type === 'input_audio'));
}
