import Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../../context';
import { AppError } from '../../http/errors';
import { acceptOnce, encryptReply, readRawBody, replayReceipt, requireFresh, verifyAndDecrypt } from '../callback-crypto';

/**
 * DingTalk HTTP event callback: same envelope as WeCom with the app key as receive id, signed within
 * CALLBACK_MAX_AGE_SECONDS of now. Every accepted event (including check_url) is answered with the encrypted
 * "success" DingTalk expects; the same signed request seen again is answered the same way and not handled again.
 */
export function dingtalkCallbackRoutes(app: AppContext): Router {
  const r = new Router();
  r.post('/dingtalk/callback', async (ctx) => {
    const c = app.config.dingtalk;
    if (!c?.callbackToken || !c.callbackAesKey) throw new AppError(404, 'not_found', '未配置钉钉回调');
    let body: { encrypt?: unknown };
    try {
      body = JSON.parse(await readRawBody(ctx));
    } catch {
      throw new AppError(400, 'bad_json', '回调内容不是有效的 JSON');
    }
    const q = (a: string, b: string) => String(ctx.query[a] ?? ctx.query[b] ?? '');
    const plain = verifyAndDecrypt(
      c.callbackToken,
      c.callbackAesKey,
      c.appKey,
      q('msg_signature', 'signature'),
      q('timeStamp', 'timestamp'),
      q('nonce', 'nonce'),
      typeof body?.encrypt === 'string' ? body.encrypt : '',
    );
    requireFresh(app, q('timeStamp', 'timestamp'));
    let event: { EventType?: string };
    try {
      event = JSON.parse(plain);
    } catch {
      throw new AppError(400, 'bad_event', '回调事件格式错误');
    }
    const receipt = replayReceipt('dingtalk', q('msg_signature', 'signature'));
    // Contact changes: recorded durably (idempotent on the request) before the receipt; DingTalk re-pushes on a 5xx.
    await app.platformEvents.dingtalk(event as Record<string, unknown>, { dedupeKey: `${receipt.platform}:${receipt.key}`, log: ctx.state.log });
    const first = await acceptOnce(app, receipt);
    ctx.state.log?.info({ eventType: event.EventType, replay: !first }, 'dingtalk callback');
    const ts = String(app.clock.now());
    const nonce = randomBytes(6).toString('hex');
    const reply = encryptReply(c.callbackToken, c.callbackAesKey, c.appKey, 'success', ts, nonce);
    ctx.body = { msg_signature: reply.signature, timeStamp: ts, nonce, encrypt: reply.ciphertext };
  });
  return r;
}
