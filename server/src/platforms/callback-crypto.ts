import { timingSafeEqual } from 'node:crypto';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import type { Context } from 'koa';
import { AppError } from '../http/errors';

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
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AppError(413, 'payload_too_large', '请求体过大');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
