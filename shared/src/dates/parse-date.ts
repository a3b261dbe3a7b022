import { casual } from 'chrono-node/zh/hans';
import { normalise } from './chinese-numbers';
import { DAY_RULES, type Today } from './day-rules';
import { timeAt } from './time-of-day';
import { compareWall, formatShanghai, instantOf, SHANGHAI_OFFSET_MS, toShanghaiIso, wallOf, type WallDate } from './shanghai-time';

export interface ParsedDate {
  /** epoch ms */
  at: number;
  /** ISO-8601 with +08:00, for the API */
  iso: string;
  /** "1月21日 周三 10:00": what the rep confirms */
  label: string;
  /** false when only a day was said (then the time is a default) */
  hasTime: boolean;
  /** the date words as found in the (normalised) text */
  matched: string;
  /** the text without the date words: what to do then (may be empty) */
  action: string;
  /** "周五前…": a deadline rather than an appointment */
  deadline: boolean;
  /** already past (e.g. 今天上午 said in the afternoon) */
  past: boolean;
}

interface Hit {
  index: number;
  length: number;
  day: WallDate;
  time: { h: number; mi: number } | null;
  rule: boolean;
}

/** Hour used when only a day is said: 10:00, or the next full hour when that day is today and 10:00 has gone. */
const DEFAULT_HOUR = 10;

/**
 * The first date/time in a Chinese phrase, as a concrete China-time instant: chrono-node's zh.hans parser plus
 * the project's rules for what it misses (下个月5号, 月底, 周末, 两周后, 过两天, 20号, 1/20; Monday-based weeks).
 * Null when there is none.
 */
export function parseChineseDate(input: string, now: number): ParsedDate | null {
  const text = normalise(input.trim());
  if (!text) return null;
  const w = wallOf(now);
  const today: Today = { y: w.y, m: w.m, d: w.d, dow: w.dow };
  const hit = earliest([...ruleHits(text, today), ...chronoHits(text, now)]);
  if (!hit) return null;

  let end = hit.index + hit.length;
  let time = hit.time;
  if (!time) {
    const t = timeAt(text.slice(end));
    if (t) {
      time = t;
      end += t.length;
    }
  }
  let at: number;
  if (time) {
    at = instantOf(hit.day, time.h, time.mi);
  } else if (compareWall(hit.day, today) === 0 && w.h >= DEFAULT_HOUR) {
    at = instantOf(hit.day, Math.min(23, w.h + 1), 0);
  } else {
    at = instantOf(hit.day, DEFAULT_HOUR, 0);
  }
  const before = text.slice(0, hit.index);
  let after = text.slice(end);
  const deadline = /^(之前|以前|前)/.test(after);
  after = after.replace(/^(之前|以前|前)/, '');
  return {
    at,
    iso: toShanghaiIso(at),
    label: formatShanghai(at, now),
    hasTime: !!time,
    matched: text.slice(hit.index, end).trim(),
    action: cleanAction(`${before} ${after}`),
    deadline,
    past: at < now,
  };
}

function ruleHits(text: string, today: Today): Hit[] {
  const hits: Hit[] = [];
  for (const rule of DAY_RULES) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(text); m; m = rule.re.exec(text)) {
      const day = rule.day(m, today);
      if (day) hits.push({ index: m.index, length: m[0].length, day, time: null, rule: true });
    }
  }
  return hits;
}

/**
 * chrono reads the reference date in the process's local zone, so it gets a reference whose local clock reads
 * China time; its components are then China wall-clock values whatever the device's zone.
 */
function chronoHits(text: string, now: number): Hit[] {
  const localOffsetMs = -new Date(now).getTimezoneOffset() * 60_000;
  const ref = new Date(now + SHANGHAI_OFFSET_MS - localOffsetMs);
  return casual.parse(text, ref, { forwardDate: true }).map((r) => {
    const s = r.start;
    const saysTime = s.isCertain('hour') || /凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|今晚|明晚|夜里|明早/.test(r.text);
    return {
      index: r.index,
      length: r.text.length,
      day: { y: s.get('year')!, m: s.get('month')!, d: s.get('day')! },
      time: saysTime ? { h: s.get('hour') ?? DEFAULT_HOUR, mi: s.get('minute') ?? 0 } : null,
      rule: false,
    };
  });
}

/**
 * Earliest match wins. At the same place ours wins (Monday-based weeks; chrono misreads 周六上午 as 6 am), and the
 * clock time after it is read separately; among ours, the longer one.
 */
function earliest(hits: Hit[]): Hit | null {
  const rank = (h: Hit) => [h.index, h.rule ? 0 : 1, -h.length];
  let best: Hit | null = null;
  for (const h of hits) {
    if (!best) {
      best = h;
      continue;
    }
    const [a, b] = [rank(h), rank(best)];
    if (a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))) best = h;
  }
  return best;
}

function cleanAction(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[，,。.、；;:：!！\s]+/, '')
    .replace(/^(再|要|去|就)(?=.)/, '')
    .replace(/[，,。.、；;:：!！\s]+$/, '')
    .trim();
}
