import { z } from 'zod';
import { parsePhone } from './phone-rule';

export * from './phone-rule';

/** Accepts anything a rep might paste; outputs the normalised 11-digit mobile. */
export const phoneSchema = z.string({ error: '请输入手机号' }).transform((s, ctx) => {
  const r = parsePhone(s);
  if (!r.valid) {
    ctx.addIssue({ code: 'custom', message: r.error ?? '手机号格式不正确' });
    return z.NEVER;
  }
  return r.normalized;
});
