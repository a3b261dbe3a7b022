import { NUM, toNumber } from './chinese-numbers';

export interface TimeOfDay {
  h: number;
  mi: number;
  /** characters consumed from the start of the input */
  length: number;
}

const PART_DEFAULT: Record<string, number> = {
  凌晨: 6,
  早上: 9,
  早晨: 9,
  上午: 10,
  中午: 12,
  下午: 15,
  傍晚: 18,
  晚上: 19,
  晚: 19,
  夜里: 21,
};

const TIME_RE = new RegExp(`^[的\\s]*(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里)?\\s*(?:(\\d{1,2}):(\\d{2})|(${NUM})[点时](?:(半)|(${NUM})分?|(\\d{2}))?)?`);

/** A clock time at the start of `s`: 下午3点, 三点半, 10:30, 晚上7点, or just 下午 (a default hour). */
export function timeAt(s: string): TimeOfDay | null {
  const m = TIME_RE.exec(s);
  if (!m || (!m[1] && !m[2] && !m[4])) return null;
  const part = m[1];
  let h: number;
  let mi = 0;
  if (m[2]) {
    h = Number(m[2]);
    mi = Number(m[3]);
  } else if (m[4]) {
    h = toNumber(m[4]);
    mi = m[5] ? 30 : m[6] ? toNumber(m[6]) : m[7] ? Number(m[7]) : 0;
  } else {
    return { h: PART_DEFAULT[part!], mi: 0, length: m[0].length };
  }
  if (!(h >= 0 && h <= 24 && mi >= 0 && mi < 60)) return null;
  if (part && /下午|傍晚|晚上|夜里/.test(part) && h < 12) h += 12;
  if (part === '中午' && h < 3) h += 12;
  if (h === 24) h = 0;
  return { h, mi, length: m[0].length };
}
