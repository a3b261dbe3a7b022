import Router from '@koa/router';
import type { AppContext } from '../context';
import { actorOf, requireAuth } from '../auth/auth.middleware';
import { AppError, badRequest } from '../http/errors';
import { readLimitedBody } from '../http/body';
import type { LlmClient } from '../llm';
import { LlmError } from '../llm';
import { draftFromTranscript } from './draft.service';

/** 60 s of speech is well under this in any codec browsers record. */
const MAX_AUDIO_BYTES = 4 * 1024 * 1024;

const EXTENSIONS: Record<string, string> = {
  'audio/webm': 'webm',
  'audio/ogg': 'ogg',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
  'audio/aac': 'aac',
};

/**
 * `POST /api/sidebar/voice` with the recorded audio as the raw body (Content-Type audio/*): transcribed by the
 * configured provider, then drafted. Mounted ahead of the JSON-only body rule, so it checks its own auth and size.
 */
export function voiceUploadRoutes(app: AppContext, llm: LlmClient | null): Router {
  const r = new Router();
  r.post('/api/sidebar/voice', requireAuth(app.ds, app.tokens, app.actors), async (ctx) => {
    const actor = actorOf(ctx);
    const mime = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
    const ext = EXTENSIONS[mime];
    if (!ext) throw new AppError(415, 'unsupported_media_type', `不支持的录音格式「${mime || '未知'}」，请使用 webm/ogg/wav/mp3/m4a`);
    if (!llm?.canTranscribe) {
      throw new AppError(409, 'asr_off', '服务器未配置语音转写（LLM_ASR_MODEL），请直接输入，或在企业微信手机端使用语音');
    }
    const audio = await readLimitedBody(ctx, MAX_AUDIO_BYTES, () => new AppError(413, 'too_large', '录音太长，请控制在60秒以内'));
    if (audio.length < 100) throw badRequest('录音太短或为空，请按住说话后再松开');
    let transcript: string;
    try {
      transcript = await llm.transcribe({ data: audio, filename: `voice.${ext}`, mimeType: mime });
    } catch (err) {
      if (!(err instanceof LlmError)) throw err;
      ctx.state.log?.warn({ problem: err.message }, 'transcription failed');
      throw new AppError(502, 'asr_failed', '语音转写暂时不可用，请重试或直接输入');
    }
    if (!transcript) throw badRequest('没有识别到语音内容，请靠近麦克风重新录音');
    ctx.body = { transcript, draft: await draftFromTranscript(app, llm, actor, transcript.slice(0, 2000), ctx.state.log) };
  });
  return r;
}
