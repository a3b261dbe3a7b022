import { NUM, toNumber } from './chinese-numbers';
import { addDays, addMonths, compareWall, daysInMonth, type WallDate } from './shanghai-time';

export interface Today extends WallDate {
  dow: number; // 0 = Sunday
}

/** A day phrase chrono's zh.hans parser misses or gets wrong (its weeks start on Sunday; Chinese weeks start on Monday). */
interface DayRule {
  re: RegExp;
  day: (m: RegExpExecArray, today: Today) => WallDate | null;
}

const WEEKDAY: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7 };

/** Monday of this week (weeks run Monday to Sunday in China). */
function mondayOf(t: Today): WallDate {
  return addDays(t, -((t.dow + 6) % 7));
}

function weekOffset(prefix: string | undefined): number {
  if (!prefix) return 0;
  return prefix === '下下' ? 2 : prefix.startsWith('下') ? 1 : 0;
}

function monthOffset(prefix: string | undefined): number {
  if (!prefix) return 0;
  return (prefix.match(/下/g) ?? []).length;
}

function validDay(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/** month/day without a year: this year's, or next year's once it has passed. */
function upcoming(today: Today, m: number, d: number): WallDate | null {
  if (!validDay(today.y, m, d) && !validDay(today.y + 1, m, d)) return null;
  const thisYear = { y: today.y, m, d };
  return validDay(today.y, m, d) && compareWall(thisYear, today) >= 0 ? thisYear : { y: today.y + 1, m, d };
}

export const DAY_RULES: DayRule[] = [
  // 下个月5号, 下下个月1号
  {
    re: new RegExp(`(下下?个?月)的?(${NUM})[号日]`, 'g'),
    day: (m, t) => {
      const target = addMonths({ y: t.y, m: t.m, d: 1 }, monthOffset(m[1]));
      const d = toNumber(m[2]);
      return validDay(target.y, target.m, d) ? { ...target, d } : null;
    },
  },
  // 月底, 这个月底, 下个月底
  {
    re: /(下下?个?|这个|本)?月底/g,
    day: (m, t) => {
      const target = addMonths({ y: t.y, m: t.m, d: 1 }, monthOffset(m[1]));
      return { ...target, d: daysInMonth(target.y, target.m) };
    },
  },
  // 下个月初 / 月初: the 1st of next month
  {
    re: /(下下?个?|这个|本)?月初/g,
    day: (m, t) => addMonths({ y: t.y, m: t.m, d: 1 }, Math.max(1, monthOffset(m[1]))),
  },
  // 2026/1/20, 1/20, 1-20
  {
    re: /(?<![\d/])(?:(20\d\d)[/-])?(\d{1,2})[/-](\d{1,2})(?![\d/])/g,
    day: (m, t) => {
      const mo = Number(m[2]);
      const d = Number(m[3]);
      if (m[1]) return validDay(Number(m[1]), mo, d) ? { y: Number(m[1]), m: mo, d } : null;
      return upcoming(t, mo, d);
    },
  },
  // 1月20日, 一月二十号, 明年3月1日
  {
    re: new RegExp(`(明年)?(${NUM})月(${NUM})[号日]?`, 'g'),
    day: (m, t) => {
      const mo = toNumber(m[2]);
      const d = toNumber(m[3]);
      if (m[1]) return validDay(t.y + 1, mo, d) ? { y: t.y + 1, m: mo, d } : null;
      return upcoming(t, mo, d);
    },
  },
  // 20号, 十五号: this month's, or next month's once it has passed
  {
    re: new RegExp(`(?<![月0-9零〇一二两三四五六七八九十])(${NUM})[号日]`, 'g'),
    day: (m, t) => {
      const d = toNumber(m[1]);
      if (!(d >= 1 && d <= 31)) return null;
      if (d >= t.d && validDay(t.y, t.m, d)) return { y: t.y, m: t.m, d };
      for (let i = 1; i <= 2; i++) {
        const next = addMonths({ y: t.y, m: t.m, d: 1 }, i);
        if (validDay(next.y, next.m, d)) return { ...next, d };
      }
      return null;
    },
  },
  // 下周三, 下下周一, 这周五, 本周日, 周四
  {
    re: /(下下|下个?|这个?|本)?周([一二三四五六日])/g,
    day: (m, t) => {
      const target = addDays(mondayOf(t), weekOffset(m[1]) * 7 + WEEKDAY[m[2]] - 1);
      // A bare weekday means the next one to come (today counts).
      if (!m[1] && compareWall(target, t) < 0) return addDays(target, 7);
      return target;
    },
  },
  // 周末, 这周末, 下周末: that week's Saturday (today, if it is already the weekend)
  {
    re: /(下下|下个?|这个?|本)?周末/g,
    day: (m, t) => {
      const off = weekOffset(m[1]);
      if (off === 0 && (t.dow === 6 || t.dow === 0)) return { y: t.y, m: t.m, d: t.d };
      return addDays(mondayOf(t), off * 7 + 5);
    },
  },
  // 下周, 下下周 (bare): that week's Monday
  {
    re: /(下下|下个?)周(?![一二三四五六日末])/g,
    day: (m, t) => addDays(mondayOf(t), weekOffset(m[1]) * 7),
  },
  // 两周后, 3天后, 一个月后, 半个月之后
  {
    re: new RegExp(`(${NUM}|半)个?(周|天|月)(?:后|之后|以后)`, 'g'),
    day: (m, t) => {
      if (m[1] === '半') return m[2] === '月' ? addDays(t, 15) : m[2] === '周' ? addDays(t, 3) : null;
      const n = toNumber(m[1]);
      if (!(n >= 1 && n <= 99)) return null;
      return m[2] === '周' ? addDays(t, 7 * n) : m[2] === '天' ? addDays(t, n) : addMonths(t, n);
    },
  },
  // 过两天, 过几天, 过3天
  {
    re: new RegExp(`过(${NUM}|几)天`, 'g'),
    day: (m, t) => {
      const n = m[1] === '几' ? 3 : toNumber(m[1]);
      return n >= 1 && n <= 99 ? addDays(t, n) : null;
    },
  },
];
