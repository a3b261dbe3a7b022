import { z } from 'zod';
import { courseForConcerns, fillScript, rankScripts } from '@lifeline/shared';
import type { LlmClient } from '../llm';
import type { Customer } from '../customers/customer.entity';
import type { Lead } from '../leads/lead.entity';
import type { SuggestedScript } from '../alarms/alarm.entities';
import type { Script } from './script.entities';

export interface SuggestContext {
  lead: Lead;
  customer: Customer;
  repName: string | null;
  lastConclusion: string | null;
  ruleLabel: string;
  /** The company's courses: {课程} names the one answering the customer's concern. */
  courses: { name: string; concern: string }[];
}

/** Library first: the best 3 templates for the lead's concern and journey node, variables filled. */
export function suggestFrom(scripts: Script[], ctx: SuggestContext, limit = 3): SuggestedScript[] {
  const best = rankScripts(scripts, { concerns: ctx.customer.concerns ?? [], journeyNode: ctx.lead.journeyNode, tags: ctx.customer.tags ?? [] }, limit);
  const vars = {
    称呼: ctx.customer.name,
    课程: courseForConcerns(ctx.customer.concerns ?? [], ctx.courses),
    顾问: ctx.repName,
    年级: ctx.customer.grade,
    城市: ctx.customer.city,
  };
  return best.map((s) => ({ scriptId: s.id, title: s.title, text: fillScript(s.text, vars) }));
}

const personalised = z.object({
  scripts: z.array(z.object({ scriptId: z.number().int(), text: z.string().min(4).max(300) })).max(3),
});

/**
 * Personalises the library picks with the model (lead context + last conclusion). Each output must keep
 * a library script id, so use counts and progress stay attributable; anything off falls back to the library text.
 */
export async function personalise(llm: LlmClient | null, base: SuggestedScript[], ctx: SuggestContext): Promise<SuggestedScript[]> {
  if (!llm || !base.length) return base;
  try {
    const out = await llm.json({
      schema: personalised,
      name: 'alarm_scripts',
      system: '你是教培行业的销售话术助手。根据线索情况改写给家长的微信话术：礼貌、具体、不超过80字、不承诺提分或录取结果、不编造价格。保留每条的 scriptId。',
      user: JSON.stringify({
        称呼: ctx.customer.name,
        年级: ctx.customer.grade,
        城市: ctx.customer.city,
        关注: ctx.customer.concerns,
        阶段: ctx.lead.journeyNode,
        渠道: ctx.lead.channel,
        上次结论: ctx.lastConclusion,
        提醒原因: ctx.ruleLabel,
        顾问: ctx.repName,
        候选话术: base.map((b) => ({ scriptId: b.scriptId, text: b.text })),
      }),
      temperature: 0.4,
    });
    const byId = new Map(out.scripts.map((s) => [s.scriptId, s.text.trim()]));
    return base.map((b) => ({ ...b, text: byId.get(b.scriptId) || b.text }));
  } catch {
    return base;
  }
}
