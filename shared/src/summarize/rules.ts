import { parseChineseDate } from '../dates';
import { normalise, chineseNumber } from './text';
import { clip, type FollowupDraft } from './draft';

export const DEFAULT_NEXT_ACTION = '再次跟进';

/** Words that say what was done, strongest first (a signed contract outranks the call it happened on). */
const ACTION_PATTERNS: Array<[string, RegExp]> = [
  ['已签约', /签约|签了|签合同|交了?定金|付了?定金|报了名|报名了|缴费|交了?学费/],
  ['已预约试听', /预约.{0,6}试听|约了.{0,6}试听|试听.{0,4}(约|定|安排)(好|在)?了?|来试听|安排.{0,4}试听/],
  ['已发送资料', /发(了|过|送了?)?.{0,8}(资料|报价|链接|课表|价格表|介绍|案例|海报)|(资料|报价|链接|课表).{0,4}发(了|过|给)/],
  ['已电话沟通', /电话|打了|通话|聊了|沟通了|回电|联系上/],
];

/** A quick phrase and the ways people say it. `$n` in a phrase is filled from the first capture. */
const PHRASE_PATTERNS: Array<[string, RegExp]> = [
  ['预算有限', /预算(有限|不多|紧|不够|不高)|钱不多|经济压力/],
  ['关注师资', /师资|老师(的)?(水平|资质|经验|怎么样|好不好)|哪个老师/],
  ['需对比$n家', /(?:对比|比较|看看|货比)(\d+)家/],
  ['需和家人商量', /商量|和(家人|孩子爸爸?|孩子妈妈?|爸爸|老公|爱人|家里)/],
  ['对价格敏感', /太贵|价格|便宜|优惠|折扣|打折/],
  ['关注上课时间', /上课时间|时间安排|几点上课|周末上课|排课/],
  ['孩子基础较弱', /基础(差|弱|不好|薄弱|一般)|成绩(不好|差|一般)|跟不上/],
  ['意向强烈', /意向(很)?(强|强烈|明确)|很感兴趣|很想报|特别想|着急报/],
];

/** Words that put a clause in the future: it is a next step, not what happened. */
const FUTURE = /再|准备(去|给|发|打|约)|打算|计划|下次|回头|到时候|要(去|给|发|打|约)/;

export interface RuleOptions {
  actions: readonly string[];
  quickPhrases: readonly string[];
  now: number;
}

/**
 * Rule-based draft of the three fields from a transcript (no model, no segmentation): action keywords,
 * quick phrases with their common paraphrases, and the next step from the Chinese date parser.
 */
export function draftByRules(transcript: string, opts: RuleOptions): FollowupDraft {
  const text = normalise(transcript);
  const clauses = text
    .split(/[，,。；;！!？?\n]+/)
    .map((c) => c.trim())
    .filter(Boolean);

  // The next step: the last clause holding a date that is still to come and not told in the past tense.
  let nextStep: FollowupDraft['nextStep'] = null;
  let nextIdx = -1;
  for (let i = clauses.length - 1; i >= 0 && !nextStep; i--) {
    const d = parseChineseDate(clauses[i], opts.now);
    if (!d || d.past) continue;
    if (/了/.test(clauses[i]) && !FUTURE.test(clauses[i]) && d.at - opts.now < 24 * 3600_000) continue;
    // "约了 来试听": the done part belongs to the action field, the rest is the plan.
    let action = d.action.replace(/^\S*了\s+/, '');
    const following = clauses[i + 1];
    if (!action && following && !parseChineseDate(following, opts.now)) action = following;
    nextStep = { when: d.matched, at: d.at, iso: d.iso, label: d.label, action: clip(action || DEFAULT_NEXT_ACTION, 50) };
    nextIdx = i;
  }
  const past = clauses.filter((c, i) => i !== nextIdx && !FUTURE.test(c));

  const done = clauses.filter((c, i) => i !== nextIdx || /了/.test(c));
  const action = findAction(past.join('，'), opts.actions) ?? findAction(done.join('，'), opts.actions);

  const phrases = findPhrases(text, opts.quickPhrases);
  let conclusion: string;
  if (phrases.length) {
    conclusion = phrases.join('，');
  } else {
    // No known phrase: keep what the customer said, without the call itself and the plan.
    const said = past.filter((c) => !ACTION_PATTERNS.some(([, re]) => re.test(c)) || /说|表示|觉得|想/.test(c));
    conclusion = said.map((c) => c.replace(/^.*?(说|表示|觉得)/, '')).join('，');
  }
  return { action, conclusion: clip(conclusion), nextStep, by: 'rules' };
}

function findAction(text: string, actions: readonly string[]): string | null {
  for (const [tag, re] of ACTION_PATTERNS) if (actions.includes(tag) && re.test(text)) return tag;
  // A company's own tags: the tag's words without the leading 已 (已上门 → 上门).
  for (const tag of actions) {
    const core = tag.replace(/^已/, '');
    if (core.length >= 2 && text.includes(core)) return tag;
  }
  return null;
}

function findPhrases(text: string, quickPhrases: readonly string[]): string[] {
  const found: string[] = [];
  for (const [phrase, re] of PHRASE_PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    const p = phrase.includes('$n') ? phrase.replace('$n', String(chineseNumber(m[1]) || m[1])) : phrase;
    if (!found.includes(p)) found.push(p);
  }
  for (const p of quickPhrases) if (text.includes(p) && !found.includes(p)) found.push(p);
  return found;
}
