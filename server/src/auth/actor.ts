import type { EntityManager } from 'typeorm';
import { dbKindOf } from '../db/kind';
import type { Role } from '@lifeline/shared';
import { type CompanySettings } from '../companies/settings';

/** The signed-in user, with what they may see worked out once per request. */
export interface Actor {
  id: number;
  companyId: number;
  role: Role;
  name: string;
  orgUnitId: number | null;
  settings: CompanySettings;
  /** null = the whole company. Otherwise the org units and users whose leads this actor sees. */
  scope: { unitIds: number[]; userIds: number[] } | null;
  /** The user's and the company's `authVersion` this actor was built from (signed-in users only). */
  versions?: { user: number; company: number };
}

const COMPANY_WIDE_ROLES: Role[] = ['ops', 'director', 'admin'];
/** Roles allowed to change a lead's owner or status (brief: "key fields editable only by roles allowed to"). */
export const KEY_FIELD_ROLES: Role[] = ['supervisor', 'admin'];

/** Rep: own leads. Supervisor: their org subtree. Ops/director/admin: the company. */
export async function resolveScope(em: EntityManager, user: { id: number; companyId: number; role: Role; orgUnitId: number | null }): Promise<Actor['scope']> {
  if (COMPANY_WIDE_ROLES.includes(user.role)) return null;
  if (user.role === 'rep' || user.orgUnitId === null) return { unitIds: [], userIds: [user.id] };
  const units: { id: number }[] = await em.query(
    `SELECT u.id FROM org_unit u JOIN org_unit me ON me.id = ? AND me.companyId = ?
      WHERE u.companyId = me.companyId AND u.deletedAt IS NULL AND u.path LIKE ${concatLike(em)}`,
    [user.orgUnitId, user.companyId],
  );
  const unitIds = units.map((u) => Number(u.id));
  const users: { id: number }[] = unitIds.length
    ? await em.query(`SELECT id FROM app_user WHERE companyId = ? AND orgUnitId IN (${unitIds.map(() => '?').join(',')})`, [user.companyId, ...unitIds])
    : [];
  return { unitIds, userIds: [...new Set([user.id, ...users.map((u) => Number(u.id))])] };
}

/** `me.path || '%'` written for each dialect. */
function concatLike(em: EntityManager): string {
  return dbKindOf(em) === 'mysql' ? "CONCAT(me.path, '%')" : "me.path || '%'";
}
