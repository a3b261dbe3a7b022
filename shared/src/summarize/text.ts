import { chineseNumber } from '../dates';

/** Chinese counts before 家/个/次 become digits (对比三家 → 对比3家) so patterns can capture them. */
export function normalise(text: string): string {
  return text
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/([零一二两三四五六七八九十]{1,3})(?=[家个次])/g, (m) => {
      const n = chineseNumber(m);
      return Number.isNaN(n) ? m : String(n);
    })
    .trim();
}

export { chineseNumber };
