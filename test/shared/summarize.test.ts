import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTION_TAGS, DEFAULT_QUICK_PHRASES } from '../../shared/src/vocabulary';
import { draftByRules, llmDraftSchema } from '../../shared/src/summarize';

const NOW = Date.parse('2026-01-15T10:00:00+08:00'); // Thursday
const opts = { actions: DEFAULT_ACTION_TAGS, quickPhrases: DEFAULT_QUICK_PHRASES, now: NOW };

describe('rule-based follow-up draft', () => {
  it('drafts the sample note: call, budget + comparing 3, next Wednesday send the trial link', () => {
    const d = draftByRules('刚给王妈妈打了电话，她说预算有限，想对比三家，下周三再发试听课链接', opts);
    expect(d).toMatchObject({ action: '已电话沟通', conclusion: '预算有限，需对比3家', by: 'rules' });
    expect(d.nextStep).toMatchObject({ when: '下周三', iso: '2026-01-21T10:00:00+08:00', action: '发试听课链接' });
  });

  it('sent materials + cares about teachers + must ask the family, reply before Friday', () => {
    const d = draftByRules('已经把课程资料发给李爸爸了，他比较关注师资，要和孩子妈妈商量一下，周五前回复', opts);
    expect(d.action).toBe('已发送资料');
    expect(d.conclusion).toBe('关注师资，需和家人商量');
    expect(d.nextStep).toMatchObject({ iso: '2026-01-16T10:00:00+08:00', action: '回复' });
  });

  it('a booked trial tomorrow 3 pm is both the action and the next step', () => {
    const d = draftByRules('约了明天下午三点来试听', opts);
    expect(d.action).toBe('已预约试听');
    expect(d.nextStep).toMatchObject({ iso: '2026-01-16T15:00:00+08:00', action: '来试听' });
  });

  it('a signed contract outranks the call it happened on, and has no next step', () => {
    const d = draftByRules('打电话确认了，张妈妈今天交了定金，意向强烈', opts);
    expect(d.action).toBe('已签约');
    expect(d.conclusion).toBe('意向强烈');
    expect(d.nextStep).toBeNull();
  });

  it('does not turn something that already happened today into a next step', () => {
    const d = draftByRules('今天带孩子来试听了，孩子基础较弱', opts);
    expect(d.nextStep).toBeNull();
    expect(d.conclusion).toBe('孩子基础较弱');
  });

  it('keeps what the customer said when no quick phrase fits, cut to 100 characters', () => {
    const d = draftByRules('电话里她说孩子最近在准备竞赛，暂时没空，下个月底再联系', opts);
    expect(d.action).toBe('已电话沟通');
    expect(d.conclusion).toContain('孩子最近在准备竞赛');
    expect(d.nextStep).toMatchObject({ iso: '2026-02-28T10:00:00+08:00', action: '联系' });
    const long = draftByRules(`她说${'孩子很喜欢数学'.repeat(30)}`, opts);
    expect([...long.conclusion].length).toBeLessThanOrEqual(100);
  });

  it("only ever picks one of the company's own action tags", () => {
    const d = draftByRules('今天上门拜访了，聊得不错', { ...opts, actions: ['已上门', '已电话沟通'] });
    expect(d.action).toBe('已上门');
    const none = draftByRules('给她打了电话', { ...opts, actions: ['已上门'] });
    expect(none.action).toBeNull();
  });

  it('finds nothing in an empty note', () => {
    expect(draftByRules('   ', opts)).toEqual({ action: null, conclusion: '', nextStep: null, by: 'rules' });
  });
});

describe('LLM draft schema', () => {
  const schema = llmDraftSchema(DEFAULT_ACTION_TAGS);
  it('accepts a well-formed draft and rejects unknown actions or conclusions over 100 characters', () => {
    expect(schema.safeParse({ action: '已电话沟通', conclusion: '预算有限', nextStepWhen: '下周三', nextStepAction: '发链接' }).success).toBe(true);
    expect(schema.safeParse({ action: '其他', conclusion: '', nextStepWhen: null, nextStepAction: null }).success).toBe(false);
    expect(schema.safeParse({ action: null, conclusion: '字'.repeat(101), nextStepWhen: null, nextStepAction: null }).success).toBe(false);
  });
});
