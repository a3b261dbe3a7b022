import { createHmac } from 'node:crypto';
import { isSafeNumber, parse } from 'lossless-json';
import type { FieldMapping } from '@lifeline/shared/src/intake';
import { sameSignature } from './keys';
import { DOUYIN_MAPPING } from './douyin';

/**
 * 巨量引擎 SPI subscription push (docs/intake-routing.md; reference platform-2.md §5). The platform POSTs an envelope
 * whose `data` is a JSON string holding the clue; the body is signed with the subscription's secret.
 */

/**
 * Field mapping applied to the parsed `data` (the clue): the pull API's field names (as the legacy Douyin channel's), the
 * campaign from the AD 2.0 promotion name. The push shape is unverified, so the mapping stays editable.
 */
export const OCEANENGINE_MAPPING: FieldMapping = { ...DOUYIN_MAPPING, campaign: '$.promotion_name' };

/** Largest body the SPI endpoint reads: a clue is a few KB. */
export const SPI_MAX_BYTES = 64 * 1024;

export interface SpiEnvelope {
  messageId: string;
  serviceLabel: string | null;
  timestamp: number | null;
  /** The clue (or whatever the label carries), parsed from the `data` string; ids beyond 2^53 kept as strings. */
  data: Record<string, unknown>;
}

/** What the platform expects back: StatusCode 200 = ok, 4xx = business error (no retry), 5xx = retry. */
export function spiReply(status: number, message = 'ok') {
  return { BaseResp: { StatusCode: status, StatusMessage: message } };
}

/** The SPI signature: lowercase hex HMAC-SHA256 of the raw body bytes with the subscription's secret. */
export function spiSignature(secret: string, rawBody: Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function spiSignatureValid(secret: string, rawBody: Buffer, given: string | undefined): boolean {
  return !!given && sameSignature(spiSignature(secret, rawBody), given.trim());
}

/** JSON with integers beyond 2^53 kept exactly, as decimal strings (clue ids, advertiser ids). */
export function parseLossless(text: string): unknown {
  return parse(text, null, (value) => (isSafeNumber(value) ? Number(value) : value));
}

/**
 * The verify_webhook handshake: `event=verify_webhook&challenge=N` in the query string or the body (form or JSON).
 * Returns the challenge exactly as sent (an int64: kept as its digits), or null when this is not a handshake.
 */
export function challengeOf(query: Record<string, unknown>, rawBody: string): string | null {
  const fromBody = bodyFields(rawBody);
  const event = String(query.event ?? fromBody.event ?? '');
  const challenge = query.challenge ?? query.Challenge ?? fromBody.challenge ?? fromBody.Challenge;
  if (event !== 'verify_webhook' || challenge === undefined || challenge === null) return null;
  const digits = String(challenge);
  return /^-?\d{1,20}$/.test(digits) ? digits : null;
}

function bodyFields(raw: string): Record<string, unknown> {
  const text = raw.trim();
  if (!text) return {};
  return text.startsWith('{') ? (objectOf(tryParse(text)) ?? {}) : Object.fromEntries(new URLSearchParams(text));
}

/** The reply body to a handshake: the challenge echoed as a number (both spellings, as integrators have seen both). */
export function challengeReply(challenge: string): string {
  return `{"BaseResp":{"StatusCode":200,"StatusMessage":"ok"},"challenge":${challenge},"Challenge":${challenge}}`;
}

/** The envelope, or a reason it is not one (a 400 the platform does not retry). */
export function parseEnvelope(rawBody: string): SpiEnvelope | { error: string } {
  const o = objectOf(tryParse(rawBody));
  if (!o) return { error: '请求体应为一个 JSON 对象' };
  const messageId = typeof o.message_id === 'string' || typeof o.message_id === 'number' ? String(o.message_id) : '';
  if (!messageId || messageId.length > 64) return { error: 'message_id 缺失或过长（最多64个字符）' };
  const data = objectOf(typeof o.data === 'string' ? tryParse(o.data) : o.data);
  if (!data) return { error: 'data 应为一个 JSON 对象（线索），或内容为 JSON 对象的字符串' };
  // Some labels wrap the clue in `content`, itself a JSON string: unwrap one level so the mapping reads clue fields.
  const content = typeof data.content === 'string' ? objectOf(tryParse(data.content)) : null;
  if (content) data.content = content;
  return {
    messageId,
    serviceLabel: typeof o.service_label === 'string' ? o.service_label : null,
    timestamp: typeof o.timestamp === 'number' ? o.timestamp : typeof o.timestamp === 'string' && /^\d+$/.test(o.timestamp) ? Number(o.timestamp) : null,
    data,
  };
}

function tryParse(text: string): unknown {
  try {
    return parseLossless(text);
  } catch {
    return undefined;
  }
}

function objectOf(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
