import { describe, expect, it } from 'vitest';
import { parseChineseDate } from '../../shared/src/dates';

/** Thursday 2026-01-15 10:00 China time. */
const NOW = Date.parse('2026-01-15T10:00:00+08:00');

// [what the rep types or says, the instant it must mean (China time)]
const TABLE: Array<[string, string]> = [
  ['下周三', '2026-01-21T10:00'],
  ['明天下午3点', '2026-01-16T15:00'],
  ['明天下午三点', '2026-01-16T15:00'],
  ['下周三上午十点', '2026-01-21T10:00'],
  ['后天', '2026-01-17T10:00'],
  ['大后天', '2026-01-18T10:00'],
  ['这周五', '2026-01-16T10:00'],
  ['本周五', '2026-01-16T10:00'],
  ['3天后', '2026-01-18T10:00'],
  ['三天后', '2026-01-18T10:00'],
  ['下午3点半', '2026-01-15T15:30'],
  ['今晚8点', '2026-01-15T20:00'],
  ['明早9点', '2026-01-16T09:00'],
  ['明天上午10:30', '2026-01-16T10:30'],
  ['周四下午3点', '2026-01-15T15:00'],
  ['下礼拜二', '2026-01-20T10:00'],
  ['下星期一下午两点', '2026-01-19T14:00'],
  ['1月20号', '2026-01-20T10:00'],
  ['一月二十日', '2026-01-20T10:00'],
  ['12月31日', '2026-12-31T10:00'],
  ['明年1月5日', '2027-01-05T10:00'],
  ['2026-01-20 14:00', '2026-01-20T14:00'],
  ['下个月5号', '2026-02-05T10:00'],
  ['下个月十五号下午', '2026-02-15T15:00'],
  ['20号', '2026-01-20T10:00'],
  ['二十五号', '2026-01-25T10:00'],
  ['15号下午', '2026-01-15T15:00'],
  ['10号', '2026-02-10T10:00'],
  ['月底', '2026-01-31T10:00'],
  ['下个月底', '2026-02-28T10:00'],
  ['下个月初', '2026-02-01T10:00'],
  ['下周', '2026-01-19T10:00'],
  ['周末', '2026-01-17T10:00'],
  ['这周末', '2026-01-17T10:00'],
  ['下周末', '2026-01-24T10:00'],
  ['两周后', '2026-01-29T10:00'],
  ['一周后', '2026-01-22T10:00'],
  ['半个月后', '2026-01-30T10:00'],
  ['一个月后', '2026-02-15T10:00'],
  ['过两天', '2026-01-17T10:00'],
  ['过几天', '2026-01-18T10:00'],
  ['1/20', '2026-01-20T10:00'],
  ['1/5', '2027-01-05T10:00'],
  ['下下周一', '2026-01-26T10:00'],
  ['星期六上午', '2026-01-17T10:00'],
  ['周一', '2026-01-19T10:00'],
  ['今天下午', '2026-01-15T15:00'],
  ['今天', '2026-01-15T11:00'],
  ['明天', '2026-01-16T10:00'],
  ['晚上7点', '2026-01-15T19:00'],
  ['半小时后', '2026-01-15T10:30'],
  ['2小时后', '2026-01-15T12:00'],
  ['１月２０日', '2026-01-20T10:00'],
  ['周五前回复', '2026-01-16T10:00'],
  ['下周五之前给答复', '2026-01-23T10:00'],
];

describe('Chinese date parser (now = Thu 2026-01-15 10:00, Asia/Shanghai)', () => {
  it.each(TABLE)('%s → %s', (text, expected) => {
    const r = parseChineseDate(text, NOW);
    expect(r, text).not.toBeNull();
    expect(r!.iso).toBe(`${expected}:00+08:00`);
  });

  it('covers at least 40 phrasings', () => expect(TABLE.length).toBeGreaterThanOrEqual(40));

  it.each(['随便聊聊', '再说吧', '等通知', '', '   '])('finds no date in %j', (text) => {
    expect(parseChineseDate(text, NOW)).toBeNull();
  });

  it('splits the date from what to do, and marks deadlines', () => {
    expect(parseChineseDate('下周三再发试听课链接', NOW)).toMatchObject({ action: '发试听课链接', matched: '下周三', deadline: false, hasTime: false });
    expect(parseChineseDate('周五前回复', NOW)).toMatchObject({ action: '回复', deadline: true });
    expect(parseChineseDate('1月20日微信发试听回放', NOW)).toMatchObject({ action: '微信发试听回放' });
    expect(parseChineseDate('明天下午3点半打电话', NOW)).toMatchObject({ action: '打电话', hasTime: true, label: '1月16日 周五 15:30' });
  });

  it('shows a concrete label with the weekday, and the year only when it differs', () => {
    expect(parseChineseDate('下周三', NOW)!.label).toBe('1月21日 周三 10:00');
    expect(parseChineseDate('明年1月5日', NOW)!.label).toBe('2027年1月5日 周二 10:00');
  });

  it('flags a time already gone today as past', () => {
    expect(parseChineseDate('今天上午9点', NOW)!.past).toBe(true);
    expect(parseChineseDate('明天上午9点', NOW)!.past).toBe(false);
  });

  it('uses Monday-based weeks: on a Sunday 下周三 is in three days and 这周三 is behind', () => {
    const sunday = Date.parse('2026-01-18T09:00:00+08:00');
    expect(parseChineseDate('下周三', sunday)!.iso).toBe('2026-01-21T10:00:00+08:00');
    expect(parseChineseDate('这周三', sunday)!.past).toBe(true);
    expect(parseChineseDate('周末', sunday)!.iso).toBe('2026-01-18T10:00:00+08:00');
  });

  it('gives China time whatever the device timezone is', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'America/New_York';
      // 01:30 China time on the 16th is still the 15th in New York.
      const lateNight = Date.parse('2026-01-16T01:30:00+08:00');
      expect(parseChineseDate('后天下午3点', lateNight)!.iso).toBe('2026-01-18T15:00:00+08:00');
      expect(parseChineseDate('下周三', NOW)!.iso).toBe('2026-01-21T10:00:00+08:00');
      expect(parseChineseDate('明天下午3点', NOW)!.iso).toBe('2026-01-16T15:00:00+08:00');
    } finally {
      process.env.TZ = saved;
    }
  });
});
