import { parseChineseDate } from './parse-date';

/** The next-step chips the form may offer: the first that still lies ahead today, then the usual days. */
const TODAY_CHIPS = ['今天下午', '今晚', '明早'];
const DAY_CHIPS = ['明天', '后天', '下周一', '下周三', '下周五'];

/** A chip must never be offered and then refused as past: 今天下午 at 20:42 gives way to 今晚 or 明早. */
export function nextStepChips(now: number): string[] {
  const today = TODAY_CHIPS.find((c) => {
    const p = parseChineseDate(c, now);
    return p !== null && !p.past && !p.question;
  });
  return [...(today ? [today] : []), ...DAY_CHIPS].filter((c) => !parseChineseDate(c, now)?.past);
}

export interface QuietHours {
  /** "HH:MM", China time; equal start and end = none */
  start: string;
  end: string;
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** Whether a reminder at `at` falls in the company's quiet hours, said so the rep knows before saving (null = it does not). */
export function quietHoursNote(at: number, q: QuietHours | null | undefined): string | null {
  if (!q || q.start === q.end) return null;
  const d = new Date(at + 8 * 3600_000);
  const m = d.getUTCHours() * 60 + d.getUTCMinutes();
  const [s, e] = [minutes(q.start), minutes(q.end)];
  const inside = s < e ? m >= s && m < e : m >= s || m < e;
  return inside ? `该时间在免打扰时段（${q.start}–${q.end}）内，提醒仍会按时推送到你的手机` : null;
}
