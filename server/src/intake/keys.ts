import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh intake key: shown once to the admin; only its sha256 is stored. */
export function newIntakeKey(): string {
  return `lk_${randomBytes(24).toString('base64url')}`;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * The Douyin push signature as this adapter checks it: hex HMAC-SHA256 over `${timestamp}\n${rawBody}`
 * with the push secret. Kept in one place so the fake platform in tests signs exactly the same way.
 */
export function douyinSignature(secret: string, timestamp: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${rawBody}`, 'utf8').digest('hex');
}

export function sameSignature(expectedHex: string, givenHex: string): boolean {
  if (!/^[0-9a-f]+$/i.test(givenHex)) return false;
  return sameHash(expectedHex, givenHex.toLowerCase());
}
