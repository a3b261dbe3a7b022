import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTECTIVE, ineligibility, matchRule, onShift, pickFromCursor, smoothWeightedSequence, type RuleSetBody } from '@lifeline/shared/src/routing';

const set: RuleSetBody = {
  rules: [
    { name: '苏州初中', cities: ['苏州'], grades: ['初一', '初二', '初三'], poolId: 1 },
    { name: '抖音高分', channels: ['抖音直播'], minScore: 80, poolId: 2 },
    { name: '南京', cities: ['南京'], poolId: 3 },
  ],
  defaultPoolId: 9,
  protective: DEFAULT_PROTECTIVE,
};

describe('rule matching: ordered, first match wins, default pool otherwise', () => {
  it('苏州 + 初三 → 苏州初中 even when a later rule also matches', () => {
    const m = matchRule(set, { city: '苏州', grade: '初三', channel: '抖音-202601直播', score: 90 });
    expect(m).toMatchObject({ index: 0, poolId: 1 });
    expect(m.reason).toContain('命中第1条规则「苏州初中」');
  });
  it('channel kinds match dated tags; score bounds apply', () => {
    expect(matchRule(set, { city: '无锡', channel: '抖音-202602直播', score: 80 }).poolId).toBe(2);
    expect(matchRule(set, { city: '无锡', channel: '抖音-202602直播', score: 79 }).poolId).toBe(9);
    expect(matchRule(set, { city: '南京', channel: '公众号', score: 0 }).poolId).toBe(3);
  });
  it('missing facts never match a condition on them', () => {
    const m = matchRule(set, { city: null, grade: null, channel: null, score: 0 });
    expect(m).toMatchObject({ index: -1, poolId: 9, rule: null });
  });
});

describe('weighted round robin', () => {
  it('interleaves by weight (smooth WRR)', () => {
    expect(
      smoothWeightedSequence([
        { userId: 1, weight: 2 },
        { userId: 2, weight: 1 },
        { userId: 3, weight: 1 },
      ]),
    ).toEqual([1, 2, 3, 1]);
    expect(
      smoothWeightedSequence([
        { userId: 1, weight: 1 },
        { userId: 2, weight: 1 },
      ]),
    ).toEqual([1, 2]);
    expect(smoothWeightedSequence([{ userId: 1, weight: 0 }])).toEqual([]);
  });
  it('walks from the cursor, skips the ineligible with reasons, and moves the cursor past the chosen one', () => {
    const seq = [1, 2, 3, 1];
    const p = pickFromCursor(seq, 5, (u) => (u === 2 ? 'inactive' : null));
    // cursor 5 → position 1 (user 2, skipped) → position 2 (user 3)
    expect(p).toMatchObject({ userId: 3, position: 2, nextCursor: 7, skipped: [{ userId: 2, reason: 'inactive' }] });
  });
  it('nobody eligible: no choice, cursor unchanged, every member listed once', () => {
    const p = pickFromCursor([1, 2, 1], 0, () => 'at_cap');
    expect(p).toMatchObject({ userId: null, nextCursor: 0 });
    expect(p.skipped).toEqual([
      { userId: 1, reason: 'at_cap' },
      { userId: 2, reason: 'at_cap' },
    ]);
  });
  it('over many turns, equal weights stay within one of each other', () => {
    const seq = smoothWeightedSequence([1, 2, 3].map((userId) => ({ userId, weight: 1 })));
    const counts = new Map<number, number>();
    let cursor = 0;
    for (let i = 0; i < 100; i++) {
      const p = pickFromCursor(seq, cursor, () => null);
      cursor = p.nextCursor;
      counts.set(p.userId!, (counts.get(p.userId!) ?? 0) + 1);
    }
    expect([...counts.values()].sort()).toEqual([33, 33, 34]);
  });
});

describe('eligibility: inactive, shift (China time), cap, protective threshold', () => {
  const member = { userId: 1, weight: 1, cap: 10, shifts: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' }] };
  const thu10 = Date.parse('2026-01-15T10:00:00+08:00');
  const ok = { active: true, openLeads: 0, openTopLeads: 0 };
  it('checks in order: inactive, off shift, at cap, protected', () => {
    expect(ineligibility(member, { ...ok, active: false }, thu10, 0, DEFAULT_PROTECTIVE)).toBe('inactive');
    expect(ineligibility(member, ok, Date.parse('2026-01-17T10:00:00+08:00'), 0, DEFAULT_PROTECTIVE)).toBe('off_shift');
    expect(ineligibility(member, { ...ok, openLeads: 10 }, thu10, 0, DEFAULT_PROTECTIVE)).toBe('at_cap');
    expect(ineligibility(member, { ...ok, openTopLeads: 5 }, thu10, 85, DEFAULT_PROTECTIVE)).toBe('protected');
    expect(ineligibility(member, { ...ok, openTopLeads: 5 }, thu10, 84, DEFAULT_PROTECTIVE)).toBeNull();
    expect(ineligibility(member, { ...ok, openTopLeads: 4 }, thu10, 95, DEFAULT_PROTECTIVE)).toBeNull();
  });
  it('shift windows are China time, end-exclusive, and may run past midnight', () => {
    expect(onShift(member.shifts, Date.parse('2026-01-15T18:00:00+08:00'))).toBe(false);
    expect(onShift(member.shifts, Date.parse('2026-01-15T17:59:00+08:00'))).toBe(true);
    const night = [{ days: [5], from: '22:00', to: '02:00' }];
    expect(onShift(night, Date.parse('2026-01-17T01:30:00+08:00'))).toBe(true); // Saturday 01:30, Friday's shift
    expect(onShift(night, Date.parse('2026-01-17T02:30:00+08:00'))).toBe(false);
    expect(onShift(null, thu10)).toBe(true);
  });
});
