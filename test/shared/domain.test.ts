import { describe, expect, it } from 'vitest';
import { channelKey, describeScore, followupCreateSchema, leadCreateSchema, nextJourneyNode, scoreLead, scoreLevelOf, charLength } from '@lifeline/shared';

describe('journey transitions', () => {
  it.each([
    ['线索获取', '已电话沟通', '首次触达'],
    ['线索获取', '已发送资料', '方案提供'],
    ['首次触达', '已预约试听', '试听体验'],
    ['试听体验', '已电话沟通', '试听体验'], // never backwards
    ['方案提供', '已签约', '签约转化'],
    ['签约转化', '已发送资料', '签约转化'],
    ['线索获取', '某个新动作', '首次触达'], // any contact is at least a first touch
  ])('%s + %s → %s', (from, action, to) => {
    expect(nextJourneyNode(from, action)).toBe(to);
  });

  it('follows company-specific rules', () => {
    expect(nextJourneyNode('首次触达', '已发送资料', { 已发送资料: '需求确认' })).toBe('需求确认');
  });
});

describe('lead scoring', () => {
  it('adds the brief default weights and explains itself', () => {
    const r = scoreLead({ grade: '初三', channel: '抖音-202601直播', concerns: ['升学政策'] });
    expect(r).toEqual({
      score: 75,
      level: 'A',
      breakdown: [
        { label: '初三', points: 30 },
        { label: '抖音直播', points: 20 },
        { label: '升学政策', points: 25 },
      ],
    });
    expect(describeScore(r.breakdown)).toBe('初三 +30, 抖音直播 +20, 升学政策 +25');
  });

  it('matches channel weights across campaign months but not other platforms', () => {
    expect(channelKey('抖音-202601直播')).toBe('抖音直播');
    expect(scoreLead({ channel: '抖音-202603直播' }).score).toBe(20);
    expect(scoreLead({ channel: '抖音-202601短视频' }).score).toBe(0);
    expect(scoreLead({ channel: '快手-202601直播' }).score).toBe(0);
  });

  it('scores list fields (concerns, tags) by membership and scalar fields by equality', () => {
    const w = [
      { field: 'tag' as const, value: '摇号焦虑', points: 15 },
      { field: 'province' as const, value: '江苏', points: 2 },
      { field: 'campaign' as const, value: '寒假讲座', points: 4 },
    ];
    expect(scoreLead({ tags: ['摇号焦虑', '二胎'], province: '江苏', campaign: '寒假讲座' }, w).score).toBe(21);
    expect(scoreLead({ tags: ['二胎'], province: '浙江', campaign: null }, w).score).toBe(0);
  });

  it('levels at the configured thresholds', () => {
    expect(scoreLevelOf(60)).toBe('A');
    expect(scoreLevelOf(59)).toBe('B');
    expect(scoreLevelOf(29)).toBe('C');
    expect(scoreLevelOf(70, 80)).toBe('B');
    expect(scoreLead({ grade: '初三' }, [{ field: 'grade', value: '初三', points: -5, label: '测试' }]).breakdown).toEqual([{ label: '测试', points: -5 }]);
  });
});

describe('request schemas', () => {
  it('normalise the phone on lead create and reject unknown grades in Chinese', () => {
    expect(leadCreateSchema.parse({ phone: '+86 139 1544 1234', channel: '抖音' }).phone).toBe('13915441234');
    const bad = leadCreateSchema.safeParse({ phone: '13915441234', channel: '抖音', grade: '大一' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].message).toMatch(/年级只能是/);
  });

  it('count conclusion length in characters, so emoji count once', () => {
    expect(charLength('好😀')).toBe(2);
    const base = { leadId: 1, action: '已电话沟通' };
    expect(followupCreateSchema.safeParse({ ...base, conclusion: '😀'.repeat(100) }).success).toBe(true);
    expect(followupCreateSchema.safeParse({ ...base, conclusion: '😀'.repeat(101) }).success).toBe(false);
  });

  it('require an ISO time with offset for the next step', () => {
    const base = { leadId: 1, action: '已电话沟通' };
    expect(followupCreateSchema.safeParse({ ...base, nextStep: { at: '2026-01-21T15:00:00+08:00', action: '回访' } }).success).toBe(true);
    expect(followupCreateSchema.safeParse({ ...base, nextStep: { at: '2026-01-21 15:00', action: '回访' } }).success).toBe(false);
    expect(followupCreateSchema.safeParse({ ...base, nextStep: { at: '2026-01-21T15:00:00+08:00', action: ' ' } }).success).toBe(false);
  });
});
