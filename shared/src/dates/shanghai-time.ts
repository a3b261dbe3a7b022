// Wall-clock arithmetic in China time (UTC+8 all year, no DST), independent of the device's timezone.

export const SHANGHAI_OFFSET_MS = 8 * 3600_000;

export interface WallDate {
  y: number;
  m: number; // 1-12
  d: number;
}

const WEEKDAY_NAMES = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

/** The China-time calendar date and clock of an instant. */
export function wallOf(at: number): WallDate & { h: number; mi: number; dow: number } {
  const t = new Date(at + SHANGHAI_OFFSET_MS);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), dow: t.getUTCDay() };
}

/** The instant of a China-time wall clock reading; day/month overflow rolls over (d = 32 → next month). */
export function instantOf(w: WallDate, h = 0, mi = 0): number {
  return Date.UTC(w.y, w.m - 1, w.d, h, mi) - SHANGHAI_OFFSET_MS;
}

export function addDays(w: WallDate, n: number): WallDate {
  const t = new Date(Date.UTC(w.y, w.m - 1, w.d + n));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** Same day-of-month n months later, clamped to the month's length (1月31日 + 1 month → 2月28日). */
export function addMonths(w: WallDate, n: number): WallDate {
  const first = new Date(Date.UTC(w.y, w.m - 1 + n, 1));
  const y = first.getUTCFullYear();
  const m = first.getUTCMonth() + 1;
  return { y, m, d: Math.min(w.d, daysInMonth(y, m)) };
}

export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function compareWall(a: WallDate, b: WallDate): number {
  return a.y - b.y || a.m - b.m || a.d - b.d;
}

/** ISO-8601 with the +08:00 offset, as the follow-up API takes it. */
export function toShanghaiIso(at: number): string {
  const w = wallOf(at);
  return `${w.y}-${pad(w.m)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:00+08:00`;
}

/** "1月21日 周三 10:00" (with the year when it is not the current one). */
export function formatShanghai(at: number, now?: number): string {
  const w = wallOf(at);
  const year = now !== undefined && wallOf(now).y !== w.y ? `${w.y}年` : '';
  return `${year}${w.m}月${w.d}日 ${WEEKDAY_NAMES[w.dow]} ${pad(w.h)}:${pad(w.mi)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
