import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlmClient, LlmError } from '../../server/src/llm';
import { FakeLlm } from '../fakes/llm-server';

const Verdict = z.object({ city: z.string(), score: z.number().int(), note: z.string().nullable() });

describe('LLM client against a fake OpenAI-compatible server', () => {
  const fake = new FakeLlm();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  const client = (extra: Partial<ConstructorParameters<typeof LlmClient>[0]> = {}) =>
    new LlmClient({ baseUrl: fake.v1, apiKey: fake.apiKey, model: 'qwen-plus', asrModel: 'whisper-1', timeoutMs: 2000, ...extra });

  it('sends a strict json_schema response_format and returns the validated object', async () => {
    fake.chatReply = '{"city":"苏州","score":7,"note":null}';
    const before = fake.chatCalls().length;
    const out = await client().json({ schema: Verdict, name: 'verdict', system: '判断', user: '王妈妈' });
    expect(out).toEqual({ city: '苏州', score: 7, note: null });
    const sent = fake.chatCalls()[before].body;
    expect(sent.model).toBe('qwen-plus');
    expect(sent.response_format.type).toBe('json_schema');
    expect(sent.response_format.json_schema.strict).toBe(true);
    expect(sent.response_format.json_schema.schema.required).toEqual(['city', 'score', 'note']);
    expect(sent.response_format.json_schema.schema.additionalProperties).toBe(false);
  });

  it('json_object mode puts the schema in the prompt and retries once after an off-schema reply', async () => {
    const replies = ['{"city":"苏州"}', '{"city":"南京","score":3,"note":"ok"}'];
    fake.chatReply = () => replies.shift()!;
    const before = fake.chatCalls().length;
    const out = await client({ jsonMode: 'json_object' }).json({ schema: Verdict, name: 'verdict', system: '判断', user: 'x' });
    expect(out.city).toBe('南京');
    const calls = fake.chatCalls().slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[0].body.response_format).toEqual({ type: 'json_object' });
    expect(calls[0].body.messages[0].content).toContain('JSON');
  });

  it('gives up with LlmError after two bad replies (blank, then not JSON)', async () => {
    const replies = ['  ', 'sure! here it is'];
    fake.chatReply = () => replies.shift()!;
    const err = await client()
      .json({ schema: Verdict, name: 'verdict', system: 's', user: 'u' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err.message).toContain('not JSON');
  });

  it('treats HTTP errors and timeouts as failures, not crashes', async () => {
    fake.inject('POST', '/v1/chat/completions', { status: 500, json: { error: { message: 'boom' } } });
    fake.inject('POST', '/v1/chat/completions', { delayMs: 1500, json: {} });
    const err = await client({ timeoutMs: 300 })
      .json({ schema: Verdict, name: 'v', system: 's', user: 'u' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LlmError);
    const bad = await new LlmClient({ baseUrl: fake.v1, apiKey: 'wrong', model: 'm' })
      .json({ schema: Verdict, name: 'v', system: 's', user: 'u' })
      .catch((e) => e);
    expect(bad.message).toContain('401');
  });

  it('transcribes through /audio/transcriptions as multipart with the model and file', async () => {
    fake.transcript = '刚给王妈妈打了电话';
    const text = await client().transcribe({ data: Buffer.from('RIFF....WAVEfmt '), filename: 'voice.wav', mimeType: 'audio/wav' });
    expect(text).toBe('刚给王妈妈打了电话');
    const call = fake.calls('POST', '/v1/audio/transcriptions').at(-1)!;
    expect(call.raw).toContain('whisper-1');
    expect(call.raw).toContain('name="language"');
  });

  it('transcribes through an input_audio chat part for audio-in-chat providers', async () => {
    fake.transcript = '下周三发试听课链接';
    const before = fake.chatCalls().length;
    const text = await client({ asrMode: 'chat_audio', asrModel: 'qwen3-asr-flash' }).transcribe({
      data: Buffer.from([1, 2, 3]),
      filename: 'voice.wav',
      mimeType: 'audio/wav',
    });
    expect(text).toBe('下周三发试听课链接');
    const part = fake.chatCalls()[before].body.messages[0].content[0];
    expect(part.type).toBe('input_audio');
    expect(part.input_audio.data).toBe('data:audio/wav;base64,AQID');
  });
});
