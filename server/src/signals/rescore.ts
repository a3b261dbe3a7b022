import type { EntityManager } from 'typeorm';
import type { SignalHit } from '@lifeline/shared/src/signals';
import type { AppContext } from '../context';
import { Audit, diffFields } from '../audit/audit.service';
import type { CompanySettings } from '../companies/settings';
import { Customer } from '../customers/customer.entity';
import type { EventMeta } from '../events/domain-events';
import { Lead } from '../leads/lead.entity';
import { findById } from '../db/rows';
import { scoreNow } from './score';
import { enteredALevel } from './a-level';

/**
 * Re-scores one lead with its live signals and writes the result when it moved: audited (the breakdown diff names the
 * signal), emitted as lead.updated (facts, webhooks), and a lead that crossed into A-level because of `hits` is handed
 * to the rules and supervisors that ask for it (a-level.ts). Returns the level change, if any.
 */
export async function rescoreLead(
  app: AppContext,
  em: EntityManager,
  settings: CompanySettings,
  lead: Lead,
  meta: EventMeta,
  hits: SignalHit[] = [],
): Promise<{ before: number; after: number } | null> {
  // The lead's row lock first: concurrent writers of its score take turns, each reading the signals stored before it.
  const current = await findById(em, Lead, lead.id, { lock: true });
  if (current) Object.assign(lead, current);
  const customer = await em.getRepository(Customer).findOneBy({ id: lead.customerId, companyId: lead.companyId });
  const scored = await scoreNow(em, settings, lead, customer, meta.at, true);
  const changes = diffFields(lead, { score: scored.score, scoreBreakdown: scored.breakdown });
  if (!changes.length) return null;
  const before = lead.score;
  await em.getRepository(Lead).update({ id: lead.id }, { score: scored.score, scoreBreakdown: scored.breakdown, updatedAt: meta.at });
  await new Audit(em, { companyId: lead.companyId, actorId: meta.actorId, requestId: meta.requestId, at: meta.at }).changed('lead', lead.id, changes);
  Object.assign(lead, { score: scored.score, scoreBreakdown: scored.breakdown, updatedAt: meta.at });
  await app.events.emit(em, { type: 'lead.updated', lead, changes }, meta);
  if (hits.length && before < settings.levelA && scored.score >= settings.levelA) {
    await enteredALevel(app, em, settings, lead, customer, before, hits, meta);
  }
  return { before, after: scored.score };
}
