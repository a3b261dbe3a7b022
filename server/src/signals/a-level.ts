import type { EntityManager } from 'typeorm';
import { DEFAULT_PROTECTIVE, matchRule } from '@lifeline/shared/src/routing';
import type { SignalHit } from '@lifeline/shared/src/signals';
import type { AppContext } from '../context';
import { Audit, diffFields } from '../audit/audit.service';
import type { CompanySettings } from '../companies/settings';
import type { Customer } from '../customers/customer.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import type { EventMeta } from '../events/domain-events';
import { Lead } from '../leads/lead.entity';
import { User } from '../users/user.entity';
import { latestRuleSet, pickInPool } from '../routing/engine';
import { RoutingDecision, RoutingPool, RoutingPoolMember, type DecisionOutcome } from '../routing/routing.entities';
import { queueMessage } from '../alarms/queue-message';
import { channelFor } from '../alarms/fire';

const MOVABLE = ['pending', 'assigned', 'following'];

/**
 * A signal lifted the lead into A-level: the rules are asked again (a rule marked rerouteOnA that now matches moves the
 * lead into its pool, by the pool's round robin), and the supervisor hears about it (a bot message, delivered by the
 * dispatcher within its tick). A `signal` decision is logged only when a rerouteOnA rule matched and was applied (moved,
 * owner already in the pool, or nobody eligible); no matching rule, an A/B control lead, a deleted pool or a lead that
 * is not open log nothing.
 */
export async function enteredALevel(
  app: AppContext,
  em: EntityManager,
  settings: CompanySettings,
  lead: Lead,
  customer: Customer | null,
  before: number,
  hits: SignalHit[],
  meta: EventMeta,
): Promise<void> {
  const why = `意向信号 ${hits.map((h) => `${h.name}（“${h.phrase}”）`).join('、')}：评分 ${before} → ${lead.score}，升为A级`;
  const movedTo = MOVABLE.includes(lead.status) ? await rerouteIfAsked(app, em, lead, customer, why, meta) : null;
  if (settings.signals.alarmSupervisorOnA) await tellSupervisor(app, em, lead, customer, movedTo ? `${why}，已按规则改派给 ${movedTo}` : why, meta);
}

async function rerouteIfAsked(app: AppContext, em: EntityManager, lead: Lead, customer: Customer | null, why: string, meta: EventMeta): Promise<string | null> {
  const set = await latestRuleSet(em, lead.companyId);
  if (!set) return null;
  // A lead held on the previous rules by an A/B test stays out of the new rules' moves (the comparison stays clean).
  const auto = await em.getRepository(RoutingDecision).findOneBy({ companyId: lead.companyId, leadId: lead.id, kind: 'auto' });
  if (auto?.arm === 'control') return null;
  const facts = { city: customer?.city, province: customer?.province, grade: customer?.grade, channel: lead.channel, score: lead.score };
  const match = matchRule(set.body, facts);
  if (!match.rule?.rerouteOnA) return null;
  const pool = await em.getRepository(RoutingPool).findOneBy({ id: match.poolId, companyId: lead.companyId });
  if (!pool || pool.deletedAt !== null) return null;
  const decision = (outcome: DecisionOutcome, ownerId: number | null, note: string, extra: Partial<RoutingDecision> = {}) =>
    em.getRepository(RoutingDecision).insert({
      companyId: lead.companyId,
      leadId: lead.id,
      kind: 'signal',
      autoKey: null,
      ruleSetVersion: set.version,
      ruleIndex: match.index,
      ruleName: match.rule!.name,
      poolId: pool.id,
      ownerId,
      outcome,
      cursorBefore: null,
      cursorAfter: null,
      reasons: { score: lead.score, rule: `${why}；${match.reason}（规则版本 v${set.version}）`, pool: pool.name, skipped: [], note },
      actorId: null,
      at: meta.at,
      requestId: meta.requestId ?? null,
      ...extra,
    });
  const member = lead.ownerId !== null && (await em.getRepository(RoutingPoolMember).findOneBy({ poolId: pool.id, userId: lead.ownerId }));
  if (member) {
    await decision('assigned', lead.ownerId, '负责人已在该线索池，不改派');
    return null;
  }
  const pick = await pickInPool(app, em, lead.companyId, pool, lead.score, meta.at, true, set.body.protective ?? DEFAULT_PROTECTIVE);
  if (pick.cursorAfter !== pick.cursorBefore) await em.getRepository(RoutingPool).update({ id: pool.id }, { rrCursor: pick.cursorAfter, updatedAt: meta.at });
  const trace = { cursorBefore: pick.cursorBefore, cursorAfter: pick.cursorAfter };
  if (!pick.owner) {
    await decision('assigned', lead.ownerId, `${pick.note ?? '线索池内没有可接单的顾问'}；保持原负责人`, trace);
    return null;
  }
  const fromOwnerId = lead.ownerId;
  const patch: Partial<Lead> = {
    ownerId: pick.owner.id,
    orgUnitId: pick.owner.orgUnitId,
    status: lead.status === 'pending' ? 'assigned' : lead.status,
    assignedAt: meta.at,
    claimedAt: null,
    // The co-owner becoming the owner leaves the co-owner slot empty: one person is not both.
    ...(lead.coOwnerId === pick.owner.id ? { coOwnerId: null } : {}),
  };
  const changes = diffFields(lead, patch);
  await em.getRepository(Lead).update({ id: lead.id }, { ...patch, updatedAt: meta.at });
  await new Audit(em, { companyId: lead.companyId, actorId: null, requestId: meta.requestId, at: meta.at }).changed('lead', lead.id, changes);
  Object.assign(lead, patch, { updatedAt: meta.at });
  await decision('assigned', pick.owner.id, `${pick.chosen ?? pick.owner.name}`, trace);
  // The system moved it (actorId null): routing does not log it again as a manual change.
  const system = { ...meta, actorId: null };
  await app.events.emit(em, { type: 'lead.updated', lead, changes }, system);
  await app.events.emit(em, { type: 'lead.assigned', lead, fromOwnerId }, system);
  return pick.owner.name;
}

/** The owner's manager, else their team's supervisor, else the supervisor of the unit the lead sits in. */
async function supervisorOf(em: EntityManager, lead: Lead): Promise<User | null> {
  const owner = lead.ownerId ? await em.getRepository(User).findOneBy({ id: lead.ownerId, companyId: lead.companyId }) : null;
  const candidates: (number | null | undefined)[] = [owner?.managerId];
  for (const unitId of [owner?.orgUnitId, lead.orgUnitId]) {
    if (unitId) candidates.push((await em.getRepository(OrgUnit).findOneBy({ id: unitId, companyId: lead.companyId }))?.supervisorId);
  }
  for (const id of candidates) {
    if (!id || id === lead.ownerId) continue;
    const u = await em.getRepository(User).findOneBy({ id, companyId: lead.companyId });
    if (u && u.active && u.deletedAt === null) return u;
  }
  return null;
}

async function tellSupervisor(app: AppContext, em: EntityManager, lead: Lead, customer: Customer | null, line: string, meta: EventMeta) {
  const sup = await supervisorOf(em, lead);
  if (!sup) return;
  await queueMessage(em, meta.at, {
    companyId: lead.companyId,
    alarmId: null,
    recipientId: sup.id,
    kind: 'digest',
    channel: channelFor(app, sup),
    payload: { title: 'A级意向线索', lines: [`${customer?.name ?? '未命名客户'}：${line}`], leadIds: [lead.id] },
    dedupeKey: `signal-a:${lead.id}:${meta.at}`,
  });
}
