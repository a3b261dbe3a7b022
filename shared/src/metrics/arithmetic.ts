// Pure arithmetic behind the KPIs: ratios, the "matured" rule, China-day buckets. No I/O, so the server,
// the dashboards and the exactness test all compute the same thing the same way.
import { KPI_DEFINITIONS, kpiIsRed, type KpiId } from './definitions';
import type { KpiValue } from './types';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const OFFSET = 8 * HOUR; // China time, UTC+8 all year

/** numerator / denominator, or null when there is nothing to measure. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/** A ratio KPI with its counts, target and red flag. */
export function kpiRatio(id: KpiId, numerator: number, denominator: number, target = KPI_DEFINITIONS[id].target): KpiValue {
  const value = ratio(numerator, denominator);
  return { id, value, numerator, denominator, target, red: kpiIsRed(id, value, target) };
}

/** A mean-hours KPI: `totalMs` summed over `count` items. numerator carries the total in hours. */
export function kpiMeanHours(id: KpiId, totalMs: number, count: number, target = KPI_DEFINITIONS[id].target): KpiValue {
  const value = count > 0 ? totalMs / count / HOUR : null;
  return { id, value, numerator: totalMs / HOUR, denominator: count, target, red: kpiIsRed(id, value, target) };
}

/**
 * The matured rule of the time-window KPIs: a lead counts as a hit when touched within `windowMs` of
 * `start`; as a miss once the window has passed without that; and is left out (pending) while it is
 * still inside its window and untouched.
 */
export function maturedOutcome(start: number, touchAt: number | null, windowMs: number, now: number): 'hit' | 'miss' | 'pending' {
  if (touchAt !== null && touchAt >= start && touchAt - start <= windowMs) return 'hit';
  if (start + windowMs <= now) return 'miss';
  return 'pending';
}

/**
 * When a lead that missed the window's touch starts counting as a miss (start + window), or null when it is a hit.
 * `maturedOutcome(…, now)` is 'pending' exactly when this is later than `now`, so a live count of pending leads needs
 * no knowledge of the window, only this stored time.
 */
export function pendingUntil(start: number, touchAt: number | null, windowMs: number): number | null {
  return maturedOutcome(start, touchAt, windowMs, -Infinity) === 'hit' ? null : start + windowMs;
}

/** China-time calendar day of an instant as YYYYMMDD (20260115). */
export function chinaDayOf(at: number): number {
  const t = new Date(at + OFFSET);
  return t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
}

/** 20260115 → '2026-01-15'. */
export function dayString(day: number): string {
  const s = String(day);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

/** '2026-01-15' → 20260115. */
export function dayNumber(day: string): number {
  return Number(day.replace(/-/g, ''));
}

/** First instant of a China-time day ('2026-01-15' → 2026-01-14T16:00Z). */
export function chinaDayStart(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return Date.UTC(y, m - 1, d) - OFFSET;
}

/** [start, endExclusive) instants of an inclusive range of China-time days. */
export function chinaRange(from: string, to: string): { start: number; end: number } {
  return { start: chinaDayStart(from), end: chinaDayStart(to) + DAY };
}

/** The default dashboard range: the last `days` China-time days up to today, inclusive. */
export function defaultRange(now: number, days = 30): { from: string; to: string } {
  const today = chinaDayOf(now);
  return { from: dayString(chinaDayOf(chinaDayStart(dayString(today)) - (days - 1) * DAY)), to: dayString(today) };
}

/** Days in an inclusive range (both ends counted). */
export function rangeDays(from: string, to: string): number {
  return Math.round((chinaDayStart(to) - chinaDayStart(from)) / DAY) + 1;
}

/** Monday of the ISO week holding a day, as YYYY-MM-DD. */
export function isoWeekStart(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  const back = (t.getUTCDay() + 6) % 7;
  t.setUTCDate(t.getUTCDate() - back);
  return t.toISOString().slice(0, 10);
}

/** Trend bucket of a day: the day itself for ranges up to 62 days, else its ISO week's Monday. */
export function trendPeriod(day: string, rangeLengthDays: number): string {
  return rangeLengthDays <= 62 ? day : isoWeekStart(day);
}

/** Every period of a range, in order, so a trend has no gaps. */
export function trendPeriods(from: string, to: string): string[] {
  const n = rangeDays(from, to);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = trendPeriod(dayString(chinaDayOf(chinaDayStart(from) + i * DAY)), n);
    if (out[out.length - 1] !== p) out.push(p);
  }
  return out;
}

/** The range rounded out to whole months: '2026-01-10'..'2026-02-03' → 2026-01-01..2026-02-28 and its months. */
export function monthsCovering(from: string, to: string): { from: string; to: string; months: string[] } {
  const [fy, fm] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  const months: string[] = [];
  for (let y = fy, m = fm; y < ty || (y === ty && m <= tm); m === 12 ? (y++, (m = 1)) : m++) {
    months.push(`${y}-${String(m).padStart(2, '0')}`);
  }
  const last = new Date(Date.UTC(ty, tm, 0)).getUTCDate();
  return { from: `${months[0]}-01`, to: `${months[months.length - 1]}-${String(last).padStart(2, '0')}`, months };
}

/** Yuan → fen, exactly (0.1 + 0.2 style float noise rounded away). */
export function yuanToFen(yuan: number): number {
  return Math.round(yuan * 100);
}

/** Demand match of one signing: 1 when the customer's concerns include the course's concern, 0 when not, null without a known course. */
export function demandMatchOf(course: string | null, concerns: string[], courses: { name: string; concern: string }[]): 0 | 1 | null {
  if (!course) return null;
  const c = courses.find((x) => x.name === course);
  if (!c) return null;
  return concerns.includes(c.concern) ? 1 : 0;
}

/** Filled / required customer profile fields (an empty string or empty list is not filled). */
export function profileFilled(customer: Record<string, unknown>, required: readonly string[]): { filled: number; required: number } {
  let filled = 0;
  for (const f of required) {
    const v = customer[f];
    if (Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined && String(v).trim() !== '') filled++;
  }
  return { filled, required: required.length };
}
