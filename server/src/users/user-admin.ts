import { IsNull } from 'typeorm';
import { ROLE_LABELS, type UserUpdateBody } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { Audit, diffFields } from '../audit/audit.service';
import { bumpUserAuthVersion } from '../companies/auth-version';
import { OrgUnit } from '../companies/org-unit.entity';
import { badRequest, forbidden, notFound } from '../http/errors';
import { User } from './user.entity';

export function userView(u: User) {
  return { id: u.id, name: u.name, role: u.role, roleLabel: ROLE_LABELS[u.role], orgUnitId: u.orgUnitId, managerId: u.managerId, active: u.active };
}

/**
 * An admin changes a user's role, active flag, org unit or manager: audited field by field, and the user's and the
 * company's `authVersion` are bumped in the same transaction, so every process refuses or re-checks the user's
 * next write at once (reads within AUTH_CACHE_MS, see auth.middleware.ts).
 */
export async function updateUser(app: AppContext, actor: Actor, id: number, patch: UserUpdateBody, requestId?: string) {
  assertCan(actor, 'users.manage');
  if (id === actor.id && ((patch.role !== undefined && patch.role !== actor.role) || patch.active === false)) {
    throw forbidden('不能停用自己或修改自己的角色，请让另一位管理员操作');
  }
  const result = await app.tx.run(async (em) => {
    const users = em.getRepository(User);
    const user = await users.findOne({
      where: { id, companyId: actor.companyId, deletedAt: IsNull() },
      ...(app.tx.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!user) throw notFound(`用户不存在（ID ${id}）`);
    if (patch.orgUnitId != null && !(await em.getRepository(OrgUnit).existsBy({ id: patch.orgUnitId, companyId: actor.companyId, deletedAt: IsNull() }))) {
      throw badRequest(`组织单元不存在（ID ${patch.orgUnitId}），请从组织列表中选择`);
    }
    if (patch.managerId != null) {
      if (patch.managerId === id) throw badRequest('不能把用户设为自己的上级');
      if (!(await users.existsBy({ id: patch.managerId, companyId: actor.companyId, deletedAt: IsNull() }))) {
        throw badRequest(`上级不存在（ID ${patch.managerId}），请从用户列表中选择`);
      }
    }
    const changes = diffFields(user, { role: patch.role, active: patch.active, orgUnitId: patch.orgUnitId, managerId: patch.managerId });
    if (!changes.length) return { user, changes };
    const now = app.clock.now();
    const fields = Object.fromEntries(changes.map((c) => [c.field, c.after])) as Partial<User>;
    await users.update({ id }, { ...fields, updatedAt: now });
    await bumpUserAuthVersion(em, actor.companyId, id);
    await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('app_user', id, changes);
    return { user: Object.assign(user, fields, { updatedAt: now }), changes };
  });
  if (result.changes.length) app.actors.clear(); // this process at once; others on the user's next write (versions)
  return { user: userView(result.user), changed: result.changes.map((c) => c.field) };
}
