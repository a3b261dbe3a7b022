import { createHash, createHmac, randomBytes } from 'node:crypto';
import { sameSignature } from '../intake/keys';

/**
 * The one signing scheme of Lifeline's own integration endpoints, inbound events and outbound webhooks alike, so a
 * partner writes one verifier: `X-Lifeline-Timestamp` = unix seconds, `X-Lifeline-Signature` = lowercase hex
 * HMAC-SHA256(secret, `${timestamp}.${raw body}`). A timestamp outside ±5 minutes is refused (replay window).
 */
export const TIMESTAMP_HEADER = 'x-lifeline-timestamp';
export const SIGNATURE_HEADER = 'x-lifeline-signature';
export const REPLAY_WINDOW_MS = 5 * 60_000;

export function newSigningSecret(prefix: 'whsec' | 'evsec'): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

export function signBody(secret: string, timestamp: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Null when the request is authentic and fresh, else what is wrong (a 401 for the sender). */
export function signatureProblem(secret: string, rawBody: Buffer, timestamp: string | undefined, signature: string | undefined, now: number): string | null {
  if (!timestamp || !signature) return `缺少签名：请求头 X-Lifeline-Timestamp 和 X-Lifeline-Signature 都要有`;
  if (!/^\d{9,11}$/.test(timestamp)) return 'X-Lifeline-Timestamp 应为 Unix 秒';
  if (Math.abs(now - Number(timestamp) * 1000) > REPLAY_WINDOW_MS) return '时间戳超出允许范围（±5分钟），请求被拒绝；请检查发送方时钟，并每次重新签名';
  if (!sameSignature(signBody(secret, timestamp, rawBody), signature.trim())) return '签名校验失败';
  return null;
}

export function sha256Hex(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
