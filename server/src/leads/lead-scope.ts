import type { SelectQueryBuilder, ObjectLiteral } from 'typeorm';
import type { Actor } from '../auth/actor';
import type { Lead } from './lead.entity';

/** Restricts a lead query to the actor's company and role scope. */
export function applyLeadScope<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, actor: Actor, alias = 'lead') {
  qb.andWhere(`${alias}.companyId = :scopeCompanyId`, { scopeCompanyId: actor.companyId });
  const s = actor.scope;
  if (!s) return qb;
  const userIds = s.userIds.length ? s.userIds : [0];
  if (s.unitIds.length) {
    qb.andWhere(`(${alias}.ownerId IN (:...scopeUserIds) OR ${alias}.orgUnitId IN (:...scopeUnitIds))`, {
      scopeUserIds: userIds,
      scopeUnitIds: s.unitIds,
    });
  } else {
    qb.andWhere(`${alias}.ownerId IN (:...scopeUserIds)`, { scopeUserIds: userIds });
  }
  return qb;
}

export function canSeeLead(actor: Actor, lead: Pick<Lead, 'companyId' | 'ownerId' | 'orgUnitId'>): boolean {
  if (lead.companyId !== actor.companyId) return false;
  const s = actor.scope;
  if (!s) return true;
  return (lead.ownerId !== null && s.userIds.includes(lead.ownerId)) || (lead.orgUnitId !== null && s.unitIds.includes(lead.orgUnitId));
}

/** Reps edit their own leads, supervisors their subtree, admins everything; ops and directors only read. */
export function canWriteLead(actor: Actor, lead: Pick<Lead, 'companyId' | 'ownerId' | 'orgUnitId'>): boolean {
  if (!canSeeLead(actor, lead)) return false;
  return actor.role === 'rep' || actor.role === 'supervisor' || actor.role === 'admin';
}
