import { In, IsNull, Between } from 'typeorm';
import { channelKey, chinaRange, conclusionKey } from '@lifeline/shared';
import { applySuggestions, fieldLifts, suggestWeights, type FeatureKey, type LiftLead } from '@lifeline/shared/src/reviews';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { badRequest, conflict } from '../http/errors';
import { Customer } from '../customers/customer.entity';
import { Lead } from '../leads/lead.entity';
import { Followup } from '../followups/followup.entity';
import { LeadSignal } from '../signals/entities';
import type { ScoringService } from '../scoring/scoring.service';

/** Each side of a comparison needs this many leads before the review says anything about it. */
export const FIELD_LIFT_MIN_SAMPLE = 20;
const CHUNK = 1000;

function monthRange(month: string) {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return chinaRange(`${month}-01`, `${month}-${String(last).padStart(2, '0')}`);
}

async function chunked<T>(ids: number[], load: (part: number[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await load(ids.slice(i, i + CHUNK))));
  return out;
}

/** The month's leads (created that month, China time, not deleted) with everything they carry, and whether they signed. */
async function monthLeads(app: AppContext, actor: Actor, month: string): Promise<LiftLead[]> {
  const { start, end } = monthRange(month);
  const leads = await app.ds.getRepository(Lead).find({ where: { companyId: actor.companyId, deletedAt: IsNull(), createdAt: Between(start, end - 1) } });
  const leadIds = leads.map((l) => l.id);
  const customers = new Map(
    (
      await chunked([...new Set(leads.map((l) => l.customerId))], (part) => app.ds.getRepository(Customer).findBy({ companyId: actor.companyId, id: In(part) }))
    ).map((c) => [c.id, c]),
  );
  const phrases = actor.settings.quickPhrases.map((p) => ({ p, key: conclusionKey(p) })).filter((x) => x.key);
  const said = new Map<number, Set<string>>();
  for (const f of await chunked(leadIds, (part) =>
    app.ds
      .getRepository(Followup)
      .find({ where: { companyId: actor.companyId, leadId: In(part), deletedAt: IsNull() }, select: { leadId: true, conclusion: true } }),
  )) {
    const key = conclusionKey(f.conclusion);
    for (const { p, key: pk } of phrases) if (key.includes(pk)) said.set(f.leadId, (said.get(f.leadId) ?? new Set()).add(p));
  }
  const signals = new Map<number, Set<string>>();
  for (const s of await chunked(leadIds, (part) =>
    app.ds.getRepository(LeadSignal).find({ where: { companyId: actor.companyId, leadId: In(part) }, select: { leadId: true, name: true } }),
  )) {
    signals.set(s.leadId, (signals.get(s.leadId) ?? new Set()).add(s.name));
  }
  return leads.map((l) => {
    const c = customers.get(l.customerId);
    const f: FeatureKey[] = [`channel:${channelKey(l.channel)}`];
    if (l.campaign) f.push(`campaign:${l.campaign}`);
    for (const [kind, v] of [
      ['grade', c?.grade],
      ['city', c?.city],
      ['province', c?.province],
      ['carrier', c?.carrier],
    ] as const)
      if (v) f.push(`${kind}:${v}`);
    for (const x of c?.concerns ?? []) f.push(`concern:${x}`);
    for (const x of c?.tags ?? []) f.push(`tag:${x}`);
    for (const x of said.get(l.id) ?? []) f.push(`phrase:${x}`);
    for (const x of signals.get(l.id) ?? []) f.push(`signal:${x}`);
    return { features: [...new Set(f)], signed: l.signedAt !== null };
  });
}

/**
 * GET /api/reviews/field-lift?month=: the month's signing rate with and without each thing a lead carries, the lift
 * with its interval and verdict, what carries nothing, and the weight changes the data suggests.
 */
export async function fieldLiftReview(app: AppContext, actor: Actor, month: string) {
  const leads = await monthLeads(app, actor, month);
  const { items, judged, z } = fieldLifts(leads, FIELD_LIFT_MIN_SAMPLE);
  const signed = leads.filter((l) => l.signed).length;
  return {
    month,
    leads: leads.length,
    signed,
    rate: leads.length ? signed / leads.length : null,
    minSample: FIELD_LIFT_MIN_SAMPLE,
    /** How many values had enough leads to be judged, and the z of their intervals (95 % for the review as a whole). */
    judged,
    z,
    items,
    carriesNothing: items.filter((i) => i.effect === 'none').map((i) => i.label),
    suggestions: suggestWeights(items, actor.settings.scoreWeights),
    weights: actor.settings.scoreWeights,
  };
}

/** One click: the chosen suggestions of the month become the new weights (saved and re-scored like any weights change). */
export async function acceptFieldLift(app: AppContext, scoring: ScoringService, actor: Actor, month: string, keys: string[], requestId?: string) {
  const review = await fieldLiftReview(app, actor, month);
  const chosen = review.suggestions.filter((s) => keys.includes(s.key));
  const unknown = keys.filter((k) => !review.suggestions.some((s) => s.key === k));
  if (unknown.length) throw conflict(`这些建议已不在本月的建议里（数据或权重刚有变化），请刷新后再选：${unknown.join('、')}`);
  if (!chosen.length) throw badRequest('请至少选择一条建议');
  const weights = applySuggestions(actor.settings.scoreWeights, chosen);
  const saved = await scoring.save(actor, { weights, levelA: actor.settings.levelA }, requestId);
  return { accepted: chosen, ...saved };
}
