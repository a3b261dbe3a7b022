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
  /**
   * A question to put to the rep before saving, when the words could mean two days: a month/day without a year
   * that passed only recently (「12/1」 typed on 12月2日) is read as next year's, which is rarely what was meant.
   */
  question: string | null;
}

/** A month/day that passed at most this many days ago is asked about rather than silently moved to next year. */
const RECENTLY_PASSED_DAYS = 45;

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
    question: rolledIntoNextYear(hit.day, today, text.slice(hit.index, end)),
  };
}

/** 「12/1」 on 12月2日: chrono and our rules both read next year's 12月1日; ask, since last week's is as likely a slip. */
function rolledIntoNextYear(day: WallDate, today: Today, said: string): string | null {
  if (day.y !== today.y + 1 || /明年|年/.test(said)) return null;
  const thisYear = instantOf({ y: today.y, m: day.m, d: day.d });
  const ago = (instantOf(today) - thisYear) / 86_400_000;
  if (!(ago > 0 && ago <= RECENTLY_PASSED_DAYS)) return null;
  return `${day.m}月${day.d}日已经过去，是指明年（${day.y}年）${day.m}月${day.d}日吗？`;
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
    const day = { y: s.get('year')!, m: s.get('month')!, d: s.get('day')! };
    const part = partOfDayHour(r.text);
    let time: Hit['time'] = null;
    if (s.isCertain('hour')) time = { h: s.get('hour')!, mi: s.get('minute') ?? 0 };
    else if (part !== null) time = { h: laterToday(day, part, now), mi: 0 };
    return { index: r.index, length: r.text.length, day, time, rule: false };
  });
}

/**
 * The hour a part of the day stands for when no clock time is said: chrono reads 明早 and 明天早上 as 06:00, a time
 * inside every company's quiet hours; a rep saying 明早 means the start of the working morning.
 */
const PART_HOURS: { re: RegExp; hour: number; endsAt: number }[] = [
  { re: /凌晨/, hour: 6, endsAt: 6 },
  { re: /早上|早晨|明早|今早/, hour: 9, endsAt: 12 },
  { re: /上午/, hour: 10, endsAt: 12 },
  { re: /中午/, hour: 12, endsAt: 14 },
  { re: /下午/, hour: 15, endsAt: 18 },
  { re: /傍晚/, hour: 18, endsAt: 19 },
  { re: /晚上|今晚|明晚/, hour: 19, endsAt: 24 },
  { re: /夜里/, hour: 21, endsAt: 24 },
];

function partOfDayHour(said: string): (typeof PART_HOURS)[number] | null {
  return PART_HOURS.find((p) => p.re.test(said)) ?? null;
}

/**
 * 今晚 said at 20:42: the part's default hour has gone but the evening has not, so the next full hour. A part that
 * is over (今天下午 at 20:42) keeps its hour and so reads as past.
 */
function laterToday(day: WallDate, part: (typeof PART_HOURS)[number], now: number): number {
  const w = wallOf(now);
  if (compareWall(day, w) !== 0 || part.hour > w.h || w.h + 1 >= part.endsAt) return part.hour;
  return w.h + 1;
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
