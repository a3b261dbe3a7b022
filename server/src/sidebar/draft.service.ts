import { clip, draftByRules, llmDraftSchema, parseChineseDate, formatShanghai, DEFAULT_NEXT_ACTION, type FollowupDraft } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { LlmError, type LlmClient } from '../llm';
import type { Logger } from '../logger';

const SYSTEM = [
  '你是教育培训机构的销售助理。顾问刚和家长沟通完，用语音说了几句话。',
  '请把这段转写整理成一条跟进记录草稿：',
  '- action：本次已经完成的跟进动作，只能从给定列表中选一个；听不出来就填 null。',
  '- conclusion：关键结论，写家长的态度、顾虑、意向（如「预算有限，需对比3家」），100字以内，不写时间安排。',
  '- nextStepWhen：下一步的时间，照原话抄写（如「下周三下午」「明天」「月底」），不要换算成日期；没有则 null。',
  '- nextStepAction：下一步要做的事（如「发试听课链接」）；没有则 null。',
  '只依据转写内容，不要编造。',
].join('\n');

/**
 * A draft of the three fields from a transcript: the configured model (strict JSON, validated, one retry), else
 * the rule-based extractor. Dates are always resolved by the project's parser, never by the model.
 */
export async function draftFromTranscript(app: AppContext, llm: LlmClient | null, actor: Actor, transcript: string, log?: Logger): Promise<FollowupDraft> {
  const now = app.clock.now();
  const actions = actor.settings.actionTags;
  const rules = draftByRules(transcript, { actions, quickPhrases: actor.settings.quickPhrases, now });
  if (!llm) return rules;
  try {
    const out = await llm.json({
      schema: llmDraftSchema(actions),
      name: 'followup_draft',
      system: `${SYSTEM}\n跟进动作列表：${actions.join('、')}\n快捷短语（结论可优先使用）：${actor.settings.quickPhrases.join('、')}`,
      user: `今天是${formatShanghai(now)}。\n转写：${transcript}`,
    });
    const when = out.nextStepWhen ? parseChineseDate(out.nextStepWhen, now) : null;
    const nextStep =
      when && !when.past
        ? { when: when.matched, at: when.at, iso: when.iso, label: when.label, action: clip(out.nextStepAction || when.action || DEFAULT_NEXT_ACTION, 50) }
        : rules.nextStep;
    return { action: out.action, conclusion: clip(out.conclusion), nextStep, by: 'llm' };
  } catch (err) {
    if (!(err instanceof LlmError)) throw err;
    log?.warn({ problem: err.message }, 'LLM draft failed; using the rule-based draft');
    return rules;
  }
}
