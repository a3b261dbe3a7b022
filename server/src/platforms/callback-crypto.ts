import { timingSafeEqual } from 'node:crypto';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import type { Context } from 'koa';
import { AppError } from '../http/errors';
import { readLimitedBody } from '../http/body';

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

export function encryptReply(token: string, aesKey: string, receiveId: string, message: string, ts: string, nonce: string) {
  const ciphertext = encrypt(aesKey, message, receiveId);
  return { ciphertext, signature: getSignature(token, ts, nonce, ciphertext) };
}

/** The raw request body (callbacks are XML or signed JSON; the JSON body parser is not in front of them). */
export async function readRawBody(ctx: Context, limit = 64 * 1024): Promise<string> {
  return (await readLimitedBody(ctx, limit, () => new AppError(413, 'payload_too_large', '请求体过大'), limit)).toString('utf8');
}
