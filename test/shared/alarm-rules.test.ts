import { describe, expect, it } from 'vitest';
import { DEFAULT_ALARM_SETTINGS as S, alarmSettings, deliverAt, desiredTimers, fillScript, groupHighRisk, rankScripts } from '@lifeline/shared';

const H = 3600_000;
const base = {
  status: 'assigned',
  deleted: false,
  ownerId: 7,
  grade: '初三',
  createdAt: 0,
  assignedAt: 1000,
  claimedAt: null,
  firstFollowupAt: null,
  nextStepDueAt: null,
};
const cn = (iso: string) => Date.parse(`${iso}+08:00`);

describe('alarm rules', () => {
  it('arms unclaimed (30 min after assignment), 48 h and 初三 36 h for a fresh assigned lead', () => {
    expect(desiredTimers(base, S)).toEqual({ unclaimed: 1000 + 30 * 60_000, no_followup: 48 * H, high_risk: 36 * H });
  });
  it('a claim stops the unclaimed escalation; a follow-up satisfies 48 h and 36 h; the next step becomes a timer', () => {
    expect(desiredTimers({ ...base, claimedAt: 2000 }, S).unclaimed).toBeUndefined();
    expect(desiredTimers({ ...base, firstFollowupAt: 5, nextStepDueAt: 99 * H }, S)).toEqual({ next_step: 99 * H });
  });
  it('closed or deleted leads need nothing', () => {
    for (const l of [
      { ...base, status: 'won' },
      { ...base, status: 'lost' },
      { ...base, deleted: true },
    ])
      expect(desiredTimers(l, S)).toEqual({});
  });
  it('company overrides change thresholds and the high-risk grades; junk overrides are ignored', () => {
    const s = alarmSettings({ noFollowupHours: 24, highRiskGrades: ['高三'], quietStart: 5, bogus: 1 });
    expect(s.noFollowupHours).toBe(24);
    expect(s.quietStart).toBe('21:30');
    expect(desiredTimers(base, s)).toEqual({ unclaimed: 1000 + 30 * 60_000, no_followup: 24 * H });
  });
});

describe('quiet hours', () => {
  it('a non-urgent alarm at 22:10 waits until 08:00 the next morning; 07:59 waits a minute; 12:00 goes now', () => {
    expect(deliverAt(cn('2026-01-15T22:10:00'), 'no_followup', S)).toBe(cn('2026-01-16T08:00:00'));
    expect(deliverAt(cn('2026-01-16T07:59:00'), 'high_risk', S)).toBe(cn('2026-01-16T08:00:00'));
    expect(deliverAt(cn('2026-01-16T12:00:00'), 'no_followup', S)).toBe(cn('2026-01-16T12:00:00'));
  });
  it('a next step the rep set for 22:30 fires at 22:30 (urgent), and quiet hours can be switched off', () => {
    expect(deliverAt(cn('2026-01-15T22:30:00'), 'next_step', S)).toBe(cn('2026-01-15T22:30:00'));
    expect(deliverAt(cn('2026-01-15T22:30:00'), 'no_followup', { ...S, quietStart: '00:00', quietEnd: '00:00' })).toBe(cn('2026-01-15T22:30:00'));
  });
});

describe('grouping and scripts', () => {
  it('groups 初三 warnings per rep: 张敏有 3 条初三线索超过 36 小时未跟进', () => {
    const g = groupHighRisk(
      [
        { repName: '张敏', grade: '初三', leadName: 'a' },
        { repName: '陈晨', grade: '初三', leadName: 'b' },
        { repName: '张敏', grade: '初三', leadName: 'c' },
        { repName: '张敏', grade: '初三', leadName: 'd' },
      ],
      36,
    );
    expect(g.map((x) => x.line)).toEqual(['张敏有 3 条初三线索超过 36 小时未跟进', '陈晨有 1 条初三线索超过 36 小时未跟进']);
  });
  it('fills variables and never leaves a raw brace', () => {
    expect(fillScript('{称呼}您好，我是{顾问}，{课程}方案好了', { 称呼: '王妈妈', 顾问: '张敏', 课程: '数学提分' })).toBe(
      '王妈妈您好，我是张敏，数学提分方案好了',
    );
    expect(fillScript('{称呼}您好{城市}', {})).toBe('家长您好本地');
  });
  it('ranks scripts for the lead concern and node first, at most 3', () => {
    const s = (id: number, concern: string | null, journeyNode: string | null) => ({ id, concern, journeyNode, tags: [], sendCount: 0, progressCount: 0 });
    const r = rankScripts([s(1, null, null), s(2, '学科提分', '需求确认'), s(3, '升学政策', '线索获取'), s(4, '学科提分', '线索获取')], {
      concerns: ['学科提分'],
      journeyNode: '线索获取',
    });
    expect(r.map((x) => x.id)).toEqual([4, 2, 3]);
  });
});
