import type { SelectQueryBuilder, ObjectLiteral } from 'typeorm';
import type { Actor } from '../auth/actor';
import type { Lead } from './lead.entity';

type Scoped = Pick<Lead, 'companyId' | 'ownerId' | 'orgUnitId'> & { coOwnerId?: number | null };

/**
 * Restricts a lead query to the actor's company and role scope: leads owned by people in scope or sitting in units in
 * scope, and leads where someone in scope is the KA co-owner (双人协同: the co-owner sees the lead, not its KPIs).
 */
export function applyLeadScope<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, actor: Actor, alias = 'lead') {
  qb.andWhere(`${alias}.companyId = :scopeCompanyId`, { scopeCompanyId: actor.companyId });
  const s = actor.scope;
  if (!s) return qb;
  const userIds = s.userIds.length ? s.userIds : [0];
  const people = `${alias}.ownerId IN (:...scopeUserIds) OR ${alias}.coOwnerId IN (:...scopeUserIds)`;
  if (s.unitIds.length) {
    qb.andWhere(`(${people} OR ${alias}.orgUnitId IN (:...scopeUnitIds))`, { scopeUserIds: userIds, scopeUnitIds: s.unitIds });
  } else {
    qb.andWhere(`(${people})`, { scopeUserIds: userIds });
  }
  return qb;
}

/** In scope by ownership or unit: what the lead's team sees and may work on. */
function inOwnScope(actor: Actor, lead: Scoped): boolean {
  const s = actor.scope;
  if (!s) return true;
  return (lead.ownerId !== null && s.userIds.includes(lead.ownerId)) || (lead.orgUnitId !== null && s.unitIds.includes(lead.orgUnitId));
}

/** Visible only because someone in the actor's scope is its co-owner. */
export function onlyAsCoOwner(actor: Actor, lead: Scoped): boolean {
  const s = actor.scope;
  return !!s && !inOwnScope(actor, lead) && lead.coOwnerId != null && s.userIds.includes(lead.coOwnerId);
}

export function canSeeLead(actor: Actor, lead: Scoped): boolean {
  if (lead.companyId !== actor.companyId) return false;
  return inOwnScope(actor, lead) || onlyAsCoOwner(actor, lead);
}

/**
 * Reps edit their own leads, supervisors their subtree, admins everything; ops and directors only read. A co-owner does
 * not edit the lead (it is the owner's); whether they may record follow-ups is canRecordFollowup.
 */
export function canWriteLead(actor: Actor, lead: Scoped): boolean {
  if (lead.companyId !== actor.companyId || !inOwnScope(actor, lead)) return false;
  return actor.role === 'rep' || actor.role === 'supervisor' || actor.role === 'admin';
}

/** Follow-ups: whoever may write the lead, and its co-owner (attributed to them) where the company allows it. */
export function canRecordFollowup(actor: Actor, lead: Scoped): boolean {
  if (canWriteLead(actor, lead)) return true;
  return (
    lead.companyId === actor.companyId &&
    lead.coOwnerId === actor.id &&
    actor.settings.coOwnerCanRecord &&
    (actor.role === 'rep' || actor.role === 'supervisor')
  );
}
