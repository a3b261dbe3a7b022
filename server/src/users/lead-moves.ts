import { In, type EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { Audit, diffFields } from '../audit/audit.service';
import { forUpdate } from '../db/kind';
import { findByIds } from '../db/rows';
import { Lead } from '../leads/lead.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import { RoutingDecision, RoutingPool, RoutingPoolMember, type DecisionReasons } from '../routing/routing.entities';
import type { User } from './user.entity';

/** Lead statuses a leaver's or mover's lead is handed on in: the work still to do. Closed leads keep their owner. */
export const HANDOVER_STATUSES = ['pending', 'assigned', 'following'] as const;

/** Who moves a lead and why: the timeline shows `reason`, the audit the actor (null = the directory sync). */
export interface MoveContext {
  companyId: number;
  actorId: number | null;
  reason: string;
  requestId?: string;
  at: number;
}

/** Where a lead goes: a new owner, or the rotation queue of a unit (the supervisor assigns it). */
export type MoveTarget =
  | { kind: 'owner'; owner: User; poolId: number | null; note?: string; skipped?: DecisionReasons['skipped'] }
  | { kind: 'queue'; orgUnitId: number | null; poolId: number | null; note: string };

/** The user's open leads, locked until commit (MySQL), oldest first: a concurrent claim or edit waits, or we wait for it. */
export async function lockOpenLeads(em: EntityManager, companyId: number, ownerId: number, only?: number[]): Promise<Lead[]> {
  const marks = HANDOVER_STATUSES.map(() => '?').join(', ');
  const filter = only ? ` AND id IN (${only.map(() => '?').join(', ') || 'NULL'})` : '';
  const rows: { id: number }[] = await em.query(
    `SELECT id FROM \`lead\` WHERE companyId = ? AND ownerId = ? AND status IN (${marks}) AND deletedAt IS NULL${filter} ORDER BY id${forUpdate(em)}`,
    [companyId, ownerId, ...HANDOVER_STATUSES, ...(only ?? [])],
  );
  const leads = await findByIds(
    em,
    Lead,
    rows.map((r) => Number(r.id)),
  );
  return [...leads.values()].sort((a, b) => a.id - b.id);
}

/**
 * The routing pool a user's leads are handed round in: the user's pool for their own unit, else for the nearest
 * ancestor unit, else any pool they are in. null when they are in none.
 */
export async function poolOf(em: EntityManager, companyId: number, user: User): Promise<RoutingPool | null> {
  const memberships = await em.getRepository(RoutingPoolMember).findBy({ companyId, userId: user.id });
  if (!memberships.length) return null;
  const pools = (await em.getRepository(RoutingPool).findBy({ companyId, id: In(memberships.map((m) => m.poolId)) })).filter((p) => p.deletedAt === null);
  if (!pools.length) return null;
  const unit = user.orgUnitId ? await em.getRepository(OrgUnit).findOneBy({ id: user.orgUnitId, companyId }) : null;
  const ancestry = unit ? unit.path.split('/').filter(Boolean).map(Number).reverse() : [];
  for (const unitId of ancestry) {
    const p = pools.filter((x) => x.orgUnitId === unitId).sort((a, b) => a.id - b.id)[0];
    if (p) return p;
  }
  return pools.sort((a, b) => a.id - b.id)[0];
}

/**
 * Moves one (locked) lead to its target in the caller's transaction: the lead row, its audit (owner change plus the
 * reason, which the timeline shows), a routing decision (a queued one puts it on the rotation queue), and the lead
 * events, so the outbox records the lead and the projector re-derives its alarm timers and reminders for the new owner.
 */
export async function moveLead(em: EntityManager, app: AppContext, lead: Lead, target: MoveTarget, ctx: MoveContext): Promise<void> {
  const patch: Partial<Lead> =
    target.kind === 'owner'
      ? {
          ownerId: target.owner.id,
          orgUnitId: target.owner.orgUnitId ?? lead.orgUnitId,
          assignedAt: ctx.at,
          claimedAt: null,
          status: lead.status === 'pending' ? 'assigned' : lead.status,
        }
      : { ownerId: null, orgUnitId: target.orgUnitId ?? lead.orgUnitId, assignedAt: null, claimedAt: null, status: 'pending' };
  const changes = diffFields(lead, patch);
  if (!changes.length) return;
  const fromOwnerId = lead.ownerId;
  await em.getRepository(Lead).update({ id: lead.id }, { ...patch, updatedAt: ctx.at });
  const audit = new Audit(em, { companyId: ctx.companyId, actorId: ctx.actorId, requestId: ctx.requestId, at: ctx.at });
  await audit.changed('lead', lead.id, [...changes, { field: 'moveReason', before: null, after: ctx.reason }]);
  Object.assign(lead, patch, { updatedAt: ctx.at });
  const reasons: DecisionReasons = {
    score: lead.score,
    rule: ctx.reason,
    skipped: target.kind === 'owner' ? (target.skipped ?? []) : [],
    ...(target.kind === 'owner' ? { chosen: target.owner.name } : {}),
    ...(target.note ? { note: target.note } : {}),
  };
  await em.getRepository(RoutingDecision).insert({
    companyId: ctx.companyId,
    leadId: lead.id,
    kind: 'manual',
    autoKey: null,
    ruleSetVersion: null,
    ruleIndex: null,
    ruleName: null,
    poolId: target.poolId,
    ownerId: lead.ownerId,
    outcome: target.kind === 'owner' ? 'assigned' : 'queued',
    cursorBefore: null,
    cursorAfter: null,
    reasons,
    actorId: ctx.actorId,
    at: ctx.at,
    requestId: ctx.requestId ?? null,
  });
  // Announced as the system (actorId null): routing logs no second, "manual" decision; the audit above names the actor.
  const meta = { companyId: ctx.companyId, actorId: null, at: ctx.at, requestId: ctx.requestId };
  await app.events.emit(em, { type: 'lead.updated', lead, changes }, meta);
  if (lead.ownerId !== null) await app.events.emit(em, { type: 'lead.assigned', lead, fromOwnerId }, meta);
}
