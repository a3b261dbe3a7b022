import { In, IsNull, MoreThanOrEqual } from 'typeorm';
import { scoreLead, type ScoreLine, type ScoreWeight } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Customer } from '../customers/customer.entity';
import { Lead } from '../leads/lead.entity';
import { scoreInputOf } from './score-input';

const DAYS = 30;
/** A preview reads at most this many of the newest leads (a big company's month); the answer says how many. */
const MAX_LEADS = 20_000;

interface Scored {
  score: number;
  level: string;
  breakdown: ScoreLine[];
}

/**
 * What new weights would do before they are saved: how many of the last 30 days' leads would be A-level (now and
 * with the new weights), and three example leads with their breakdown before and after (those that move most).
 */
export async function previewWeights(app: AppContext, actor: Actor, weights: ScoreWeight[], levelA: number) {
  const since = app.clock.now() - DAYS * 86_400_000;
  const leads = await app.ds.getRepository(Lead).find({
    where: { companyId: actor.companyId, deletedAt: IsNull(), createdAt: MoreThanOrEqual(since) },
    order: { createdAt: 'DESC', id: 'DESC' },
    take: MAX_LEADS,
  });
  const customers = new Map<number, Customer>();
  const ids = [...new Set(leads.map((l) => l.customerId))];
  for (let i = 0; i < ids.length; i += 1000) {
    for (const c of await app.ds.getRepository(Customer).findBy({ companyId: actor.companyId, id: In(ids.slice(i, i + 1000)) })) customers.set(c.id, c);
  }
  let before = 0;
  let after = 0;
  const moved: { lead: Lead; name: string; now: Scored; next: Scored }[] = [];
  for (const lead of leads) {
    const input = scoreInputOf(lead, customers.get(lead.customerId));
    const now = scoreLead(input, actor.settings.scoreWeights, actor.settings.levelA);
    const next = scoreLead(input, weights, levelA);
    if (now.level === 'A') before++;
    if (next.level === 'A') after++;
    moved.push({ lead, name: customers.get(lead.customerId)?.name ?? '未命名客户', now, next });
  }
  // The examples: the leads whose score moves most (newest first among equals), so the effect is visible.
  const examples = [...moved]
    .sort((a, b) => Math.abs(b.next.score - b.now.score) - Math.abs(a.next.score - a.now.score) || b.lead.createdAt - a.lead.createdAt)
    .slice(0, 3)
    .map((m) => ({ leadId: m.lead.id, customerName: m.name, channel: m.lead.channel, before: m.now, after: m.next }));
  return { days: DAYS, leads: leads.length, capped: leads.length === MAX_LEADS, aLevel: { before, after }, levelA, examples };
}
