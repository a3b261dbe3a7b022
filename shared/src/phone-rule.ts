/**
 * Mainland mobile number rules: normalise what reps type or paste, validate, mask.
 * Pure and browser-safe (also runs in the mini-app and in the hosted lead form's script), so no node APIs here, and
 * no imports: the form's script is bundled from this file alone.
 */
const MOBILE_RE = /^1[3-9]\d{9}$/;

// Separators people paste from contact cards, chat apps and spreadsheets. `\s` already covers
// U+3000 (ideographic space), NBSP and BOM. Full-width hyphen － is included because Chinese IMEs emit it.
const SEPARATORS_RE = /[\s\-—–－.()（）]/g;
const FULLWIDTH_RE = /[０-９＋]/g;
const ELEVEN_DIGITS_RE = /^\d{11}$/;
const COUNTRY_PREFIXES = ['+86', '0086', '86'] as const;

export function normalizePhone(input: string): string {
  let s = input.replace(FULLWIDTH_RE, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(SEPARATORS_RE, '');
  for (const p of COUNTRY_PREFIXES) {
    // Only strip when the rest is exactly a mobile-length number, so a short "86…" is never eaten.
    if (s.startsWith(p) && ELEVEN_DIGITS_RE.test(s.slice(p.length))) {
      s = s.slice(p.length);
      break;
    }
  }
  return s;
}

export function isValidMobile(s: string): boolean {
  return MOBILE_RE.test(s);
}

/** `138****8000` for an 11-digit number; otherwise everything but the last 4 chars becomes `*`. */
export function maskPhone(normalized: string): string {
  if (ELEVEN_DIGITS_RE.test(normalized)) return `${normalized.slice(0, 3)}****${normalized.slice(7)}`;
  const keep = Math.min(4, normalized.length);
  return '*'.repeat(normalized.length - keep) + normalized.slice(normalized.length - keep);
}

export interface ParsedPhone {
  input: string;
  normalized: string;
  valid: boolean;
  masked: string;
  /** Chinese, actionable by a sales rep; present only when invalid. */
  error?: string;
}

function phoneError(n: string): string | undefined {
  if (n.length === 0) return '请输入手机号';
  if (!/^\d+$/.test(n)) return '手机号只能包含数字';
  if (n.length !== 11) return `手机号应为11位数字，当前为${n.length}位`;
  if (!MOBILE_RE.test(n)) return '手机号格式不正确，应以13-19开头';
  return undefined;
}

export function parsePhone(input: string): ParsedPhone {
  const normalized = normalizePhone(input);
  const error = phoneError(normalized);
  const result: ParsedPhone = { input, normalized, valid: error === undefined, masked: maskPhone(normalized) };
  if (error !== undefined) result.error = error;
  return result;
}
