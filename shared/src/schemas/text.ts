import { z } from 'zod';

/**
 * Text is text: what a person can type and see. Refused everywhere: C0 controls (NUL…) and DEL, C1 controls,
 * bidi overrides, embeddings, isolates and marks (U+202E turns "王妈妈" into a reversed, misleading string),
 * zero-width spaces and joiners that are not part of an emoji (U+200B, U+2060, U+FEFF…), invisible operators,
 * line/paragraph separators, noncharacters and lone surrogates (half of an emoji, invalid in UTF-8: MySQL would
 * store garbage). ZWJ/ZWNJ (U+200C/U+200D) stay: they hold emoji sequences like 👩‍👧 together.
 * Multi-line fields (conclusions, transcripts, script text) also accept tab, CR and LF.
 * Machine-sent leads (intake API, import) are the one exception: normaliseLead strips U+200B, U+2060 and U+FEFF
 * first (intake/normalise.ts, stripZeroWidth), so a pasted zero-width space does not lose a paid lead.
 */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u180E\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\uFFFE\uFFFF]|\p{Cs}/u;
const INVISIBLE_OR_BREAK = new RegExp(`[\\t\\n\\r]|${INVISIBLE.source}`, 'u');

const NAMES: Record<number, string> = {
  0x00: '空字符 NUL',
  0x09: '制表符',
  0x0a: '换行',
  0x0d: '回车',
  0x202a: '从左向右嵌入',
  0x202b: '从右向左嵌入',
  0x202c: '方向格式结束',
  0x202d: '从左向右覆盖',
  0x202e: '从右向左覆盖',
  0x2066: '从左向右隔离',
  0x2067: '从右向左隔离',
  0x2068: '首字母方向隔离',
  0x2069: '方向隔离结束',
  0x200b: '零宽空格',
  0xfeff: '零宽不换行空格',
  0x200e: '从左向右标记',
  0x200f: '从右向左标记',
  0x2060: '零宽连接符',
};

export interface InvisibleChar {
  /** 1-based position in characters as people count them. */
  position: number;
  /** e.g. "U+202E 从右向左覆盖". */
  label: string;
}

/** The first character a person could not have typed or cannot see, or null. */
export function findInvisible(s: string, opts: { multiline?: boolean } = {}): InvisibleChar | null {
  const re = opts.multiline ? INVISIBLE : INVISIBLE_OR_BREAK;
  if (!re.test(s)) return null;
  let position = 0;
  for (const ch of s) {
    position++;
    if (re.test(ch)) {
      const cp = ch.codePointAt(0)!;
      const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      const name = NAMES[cp] ?? (cp >= 0xd800 && cp <= 0xdfff ? '不成对的代理项（半个表情符号）' : '');
      return { position, label: name ? `${hex} ${name}` : hex };
    }
  }
  return null;
}

/** `称呼含有不可见的控制字符（第2个字符，U+202E 从右向左覆盖），请删除后重试`, or null for plain text. */
export function invisibleCharMessage(label: string, s: string, opts: { multiline?: boolean } = {}): string | null {
  const bad = findInvisible(s, opts);
  return bad ? `${label}含有不可见的控制字符（第${bad.position}个字符，${bad.label}），请删除后重试` : null;
}

/** Marks the checks made here, so a guard test can prove every string field of a request schema has one. */
const TEXT_CHECK = Symbol.for('lifeline.plainText');

/** The text rule as a zod check, for string schemas built elsewhere (`z.url().check(textCheck('资料链接'))`). */
export function textCheck(label: string, opts: { multiline?: boolean } = {}) {
  const check = z.refine<string>((s) => findInvisible(s, opts) === null, {
    error: (iss) => invisibleCharMessage(label, String(iss.input), opts) ?? `${label}含有不可见的控制字符，请删除后重试`,
  });
  (check as unknown as Record<symbol, boolean>)[TEXT_CHECK] = true;
  return check;
}

/** Whether a string schema carries the text rule (used by the schema guard test). */
export function hasTextCheck(schema: z.ZodType): boolean {
  const checks = (schema as unknown as { _zod: { def: { checks?: unknown[] } } })._zod.def.checks ?? [];
  return checks.some((c) => (c as Record<symbol, boolean>)[TEXT_CHECK] === true);
}

/**
 * Free text typed by a person: refuses invisible/control characters (see above) with a Chinese message naming
 * the field and the character, then at most `max` characters (as people count them). Single-line unless
 * `multiline`. `tooLong` keeps a field's existing wording; `required` answers a missing or non-text value.
 */
export function plainText(label: string, max: number, opts: { multiline?: boolean; tooLong?: string; required?: string } = {}) {
  return z
    .string(opts.required ? { error: opts.required } : undefined)
    .check(textCheck(label, opts))
    .refine((s) => [...s].length <= max, { message: opts.tooLong ?? `${label}最多${max}个字` });
}
