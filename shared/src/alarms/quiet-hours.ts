import type { AlarmRule, AlarmSettings } from './rules';

const DAY_MIN = 24 * 60;

function minutesOf(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`quiet hours must be HH:MM, got ${hhmm}`);
  return (Number(m[1]) * 60 + Number(m[2])) % DAY_MIN;
}

/**
 * When a message may be delivered: `at` itself, or — for a non-urgent rule inside quiet hours — the end
 * of quiet hours (the next morning). Quiet hours may wrap midnight (21:30–08:00).
 */
export function deliverAt(at: number, rule: AlarmRule | 'digest', s: AlarmSettings): number {
  if (rule !== 'digest' && s.urgentRules.includes(rule)) return at;
  const start = minutesOf(s.quietStart);
  const end = minutesOf(s.quietEnd);
  if (start === end) return at;
  const localMs = at + s.utcOffsetMinutes * 60_000;
  const minuteOfDay = Math.floor((((localMs % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
  const inQuiet = start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
  if (!inQuiet) return at;
  const wait = (end - minuteOfDay + DAY_MIN) % DAY_MIN;
  const startOfMinute = at - (((localMs % 60_000) + 60_000) % 60_000);
  return startOfMinute + wait * 60_000;
}
