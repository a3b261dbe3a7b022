import { describe, expect, it } from 'vitest';
import { nextStepChips, parseChineseDate, quietHoursNote } from '../../shared/src/dates';

const at = (iso: string) => Date.parse(`${iso}+08:00`);
const QUIET = { start: '21:30', end: '08:00' };

describe('next-step dates a new user hit (issue 17, defect 7)', () => {
  it('「12/1」 typed on 12/2 is not silently moved to next year: the rep is asked', () => {
    const now = at('2026-12-02T10:00:00');
    for (const said of ['12/1', '12月1日', '12月1号']) {
      const p = parseChineseDate(said, now)!;
      expect(p.question, said).toBe('12月1日已经过去，是指明年（2027年）12月1日吗？');
    }
    // Far enough back, next year is the obvious meaning; a year said out loud is never questioned.
    expect(parseChineseDate('1/20', now)!.question).toBeNull();
    expect(parseChineseDate('明年12月1日', now)!.question).toBeNull();
    expect(parseChineseDate('12/5', now)!.question).toBeNull();
  });

  it('明早 and 明天早上 mean 09:00, not 06:00 inside quiet hours', () => {
    const now = at('2026-12-02T20:42:00');
    for (const said of ['明早', '明天早上', '明早打电话']) {
      const p = parseChineseDate(said, now)!;
      expect(p.iso, said).toBe('2026-12-03T09:00:00+08:00');
      expect(quietHoursNote(p.at, QUIET)).toBeNull();
    }
    expect(parseChineseDate('明早8点', now)!.iso).toBe('2026-12-03T08:00:00+08:00');
  });

  it('every chip offered at any minute of the day parses to a future time with nothing to ask', () => {
    const day = at('2026-12-02T00:00:00');
    for (let m = 0; m < 24 * 60; m += 7) {
      const now = day + m * 60_000;
      for (const chip of nextStepChips(now)) {
        const p = parseChineseDate(chip, now)!;
        expect(p, `${chip} at minute ${m}`).not.toBeNull();
        expect(p.past, `${chip} at minute ${m}`).toBe(false);
        expect(p.question).toBeNull();
      }
    }
    expect(nextStepChips(at('2026-12-02T20:42:00'))).not.toContain('今天下午');
    expect(nextStepChips(at('2026-12-02T20:42:00'))[0]).toBe('今晚');
    expect(nextStepChips(at('2026-12-02T23:30:00'))[0]).toBe('明早');
  });

  it('a reminder inside quiet hours is said to be so (wrapping midnight or not)', () => {
    expect(quietHoursNote(at('2026-12-02T22:00:00'), QUIET)).toContain('免打扰时段（21:30–08:00）');
    expect(quietHoursNote(at('2026-12-03T07:59:00'), QUIET)).not.toBeNull();
    expect(quietHoursNote(at('2026-12-03T08:00:00'), QUIET)).toBeNull();
    expect(quietHoursNote(at('2026-12-03T13:00:00'), { start: '12:00', end: '14:00' })).not.toBeNull();
    expect(quietHoursNote(at('2026-12-03T13:00:00'), { start: '00:00', end: '00:00' })).toBeNull();
  });
});
