const DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** Pattern fragment for a small number written in Arabic or Chinese numerals (1-99). */
export const NUM = '[0-9零〇一二两三四五六七八九十]{1,3}';

/** "20", "二十", "十五", "三十一", "两" → number; NaN when it is not one. */
export function toNumber(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  if (s === '十') return 10;
  const m = /^([一二两三四五六七八九])?十([一二三四五六七八九])?$/.exec(s);
  if (m) return (m[1] ? DIGITS[m[1]] : 1) * 10 + (m[2] ? DIGITS[m[2]] : 0);
  if (s.length === 1 && s in DIGITS) return DIGITS[s];
  return NaN;
}

/** Full-width digits, slashes and colons to ASCII; 星期/礼拜 to 周, so the patterns stay small. */
export function normalise(text: string): string {
  return text
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[／]/g, '/')
    .replace(/[：]/g, ':')
    .replace(/星期|礼拜/g, '周')
    .replace(/周天/g, '周日');
}
