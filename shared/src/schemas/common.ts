import { z } from 'zod';
import { plainText } from './text';

/** Length in characters as people count them (and as MySQL utf8mb4 VARCHAR does), not UTF-16 units. */
export function charLength(s: string): number {
  return [...s].length;
}

/**
 * Older form of `plainText` kept for callers that name the limit by message ('称呼最多32个字'): the field label
 * is what precedes 最多, and the text rule applies as well. Prefer `plainText(label, max)`.
 */
export function maxChars(max: number, message: string) {
  return plainText(message.split('最多')[0] || '文本', max, { tooLong: message });
}

export const idSchema = z.coerce.number({ error: 'ID 必须是数字' }).int('ID 必须是整数').positive('ID 必须是正整数');

/** Query-string booleans arrive as text. */
export const queryBool = z.enum(['true', 'false', '1', '0'], { error: '只能是 true 或 false' }).transform((v) => v === 'true' || v === '1');

export const isoDateTime = z.iso.datetime({ offset: true, error: '时间格式不正确，应为 ISO 8601（如 2026-01-20T15:00:00+08:00）' });
