import { timingSafeEqual } from 'node:crypto';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import type { Context } from 'koa';
import type { AppContext } from '../context';
import { AppError } from '../http/errors';
import { readLimitedBody } from '../http/body';
import { CallbackReceipt } from './callback-receipt.entity';
import { isUniqueViolation } from '../db/errors';

/** WXBizMsgCrypt-style envelope shared by WeCom and DingTalk HTTP callbacks: sorted-sha1 signature + AES-256-CBC. */
export function verifyAndDecrypt(token: string, aesKey: string, receiveId: string, sig: string, ts: string, nonce: string, ciphertext: string): string {
  if (!sig || !ts || !nonce || !ciphertext) throw new AppError(400, 'bad_callback', '回调参数不完整');
  const want = Buffer.from(getSignature(token, ts, nonce, ciphertext));
  const got = Buffer.from(String(sig).toLowerCase());
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw new AppError(401, 'bad_signature', '回调签名校验失败');
  let plain: { message: string; id: string };
  try {
    plain = decrypt(aesKey, ciphertext);
  } catch {
    throw new AppError(400, 'bad_ciphertext', '回调内容无法解密');
  }
  if (plain.id !== receiveId) throw new AppError(401, 'bad_receiver', '回调的接收方与本应用不符');
  return plain.message;
}

const DEFAULT_CALLBACK_MAX_AGE_MS = 5 * 60_000;

/**
 * A verified callback must also be recent: its signed timestamp (WeCom: seconds, DingTalk: milliseconds) within
 * CALLBACK_MAX_AGE_SECONDS of now, either side. An old request replayed with its valid signature is refused.
 */
export function requireFresh(app: AppContext, ts: string): void {
  const windowMs = app.config.callbackMaxAgeMs ?? DEFAULT_CALLBACK_MAX_AGE_MS;
  const n = /^\d{1,13}$/.test(ts) ? Number(ts) : NaN;
  const at = n >= 1e11 ? n : n * 1000;
  if (!(Math.abs(app.clock.now() - at) <= windowMs)) {
    throw new AppError(
      401,
      'stale_callback',
      `回调已过期：签名时间与服务器时间相差超过 ${Math.round(windowMs / 60_000)} 分钟，已拒绝（若经常出现，请检查服务器时钟）`,
    );
  }
}

/** The receipt that makes a signed request count once: the platform and its signature (unique per request). */
export function replayReceipt(platform: 'wecom' | 'dingtalk', signature: string): { platform: string; key: string } {
  return { platform: `${platform}.sig`, key: signature.toLowerCase().slice(0, 160) };
}

/**
 * Records a callback receipt; false when it was recorded before (a replay, or the platform's own retry, seen by any
 * server on this database). Receipts outlive the freshness window, after which a replay is refused as stale anyway.
 */
export async function acceptOnce(app: AppContext, receipt: { platform: string; key: string }): Promise<boolean> {
  try {
    await app.ds.getRepository(CallbackReceipt).insert({ platform: receipt.platform, dedupeKey: receipt.key, receivedAt: app.clock.now() });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export function encryptReply(token: string, aesKey: string, receiveId: string, message: string, ts: string, nonce: string) {
  const ciphertext = encrypt(aesKey, message, receiveId);
  return { ciphertext, signature: getSignature(token, ts, nonce, ciphertext) };
}

/** The raw request body (callbacks are XML or signed JSON; the JSON body parser is not in front of them). */
export async function readRawBody(ctx: Context, limit = 64 * 1024): Promise<string> {
  return (await readLimitedBody(ctx, limit, () => new AppError(413, 'payload_too_large', '请求体过大'), limit)).toString('utf8');
}
