import { In, IsNull, type EntityManager } from 'typeorm';
import { ROLE_LABELS } from '@lifeline/shared';
import type { UserListQuery, UserPatchBody } from './schemas';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan, can } from '../auth/permissions';
import { Audit, diffFields, type FieldChange } from '../audit/audit.service';
import { bumpUserAuthVersion } from '../companies/auth-version';
import { OrgUnit } from '../companies/org-unit.entity';
import { isUniqueViolation } from '../db/tx';
import { dbKindOf } from '../db/kind';
import { badRequest, conflict, forbidden, notFound } from '../http/errors';
import { RoutingPool, RoutingPoolMember } from '../routing/routing.entities';
import { handOverLeaver, type HandoverResult } from './handover';
import { HANDOVER_STATUSES } from './lead-moves';
import { User } from './user.entity';

export function userView(u: User) {
  return { id: u.id, name: u.name, role: u.role, roleLabel: ROLE_LABELS[u.role], orgUnitId: u.orgUnitId, managerId: u.managerId, active: u.active };
}

/** What people admins (users.view) see besides the picker fields: platform ids and the directory's marks. */
export function userAdminView(u: User) {
  return {
    ...userView(u),
    wecomUserId: u.wecomUserId,
    dingtalkUserId: u.dingtalkUserId,
    mainDeptId: u.mainDeptId,
    syncedAt: u.syncedAt,
    inactiveBy: u.inactiveBy,
    leftAt: u.leftAt,
  };
}

/** The fields only an admin (users.manage) changes; a supervisor with users.editTeam changes `routing` only. */
const ADMIN_FIELDS = ['role', 'active', 'orgUnitId', 'managerId', 'wecomUserId', 'dingtalkUserId'] as const;
const PLATFORM_LABEL = { wecomUserId: '企业微信账号', dingtalkUserId: '钉钉账号' } as const;

/** A user of the actor's company the actor may see (supervisors: their subtree), or the 404 that does not say which. */
async function visibleUser(em: EntityManager, actor: Actor, id: number, lock = false): Promise<User> {
  const user = await em.getRepository(User).findOne({
    where: { id, companyId: actor.companyId, deletedAt: IsNull() },
    ...(lock && dbKindOf(em) === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  if (!user || (actor.scope && !actor.scope.userIds.includes(user.id))) throw notFound(`用户不存在或不在你的范围内（ID ${id}）`);
  return user;
}

/** The list of people: search (name, platform id), role, unit with its subtree, active; scoped like leads. */
export async function listUsers(app: AppContext, actor: Actor, q: UserListQuery) {
  const qb = app.ds.getRepository(User).createQueryBuilder('u').where('u.companyId = :c AND u.deletedAt IS NULL', { c: actor.companyId });
  if (actor.scope) qb.andWhere('u.id IN (:...scopeIds)', { scopeIds: actor.scope.userIds.length ? actor.scope.userIds : [0] });
  if (q.q) {
    // '!' escapes LIKE's wildcards in the search word (a backslash means different things to MySQL and SQLite literals).
    const like = `%${q.q.replace(/[!%_]/g, (m) => `!${m}`)}%`;
    qb.andWhere("(u.name LIKE :like ESCAPE '!' OR u.wecomUserId LIKE :like ESCAPE '!' OR u.dingtalkUserId LIKE :like ESCAPE '!')", { like });
  }
  if (q.role) qb.andWhere('u.role = :role', { role: q.role });
  if (q.active !== undefined) qb.andWhere('u.active = :active', { active: q.active });
  if (q.orgUnitId !== undefined) {
    const unit = await app.ds.getRepository(OrgUnit).findOneBy({ id: q.orgUnitId, companyId: actor.companyId, deletedAt: IsNull() });
    if (!unit || (actor.scope && !actor.scope.unitIds.includes(unit.id))) throw notFound(`组织单元不存在或不在你的范围内（ID ${q.orgUnitId}）`);
    const sub = await app.ds.getRepository(OrgUnit).find({ select: { id: true, path: true }, where: { companyId: actor.companyId, deletedAt: IsNull() } });
    qb.andWhere('u.orgUnitId IN (:...units)', { units: sub.filter((s) => s.path.startsWith(unit.path)).map((s) => s.id) });
  }
  const total = await qb.getCount();
  const users = await qb
    .orderBy('u.id', 'ASC')
    .skip((q.page - 1) * q.pageSize)
    .take(q.pageSize)
    .getMany();
  const view = can(actor, 'users.view') ? userAdminView : userView;
  return { items: users.map(view), page: q.page, pageSize: q.pageSize, total };
}

/** One person for the people admin: profile, platform ids, pools (cap, shifts), open leads and customer transfers. */
export async function getUser(app: AppContext, actor: Actor, id: number) {
  assertCan(actor, 'users.view');
  const em = app.ds.manager;
  const user = await visibleUser(em, actor, id);
  const [unit, manager, members, load, transfers] = await Promise.all([
    user.orgUnitId ? em.getRepository(OrgUnit).findOneBy({ id: user.orgUnitId, companyId: actor.companyId }) : null,
    user.managerId ? em.getRepository(User).findOneBy({ id: user.managerId, companyId: actor.companyId }) : null,
    em.getRepository(RoutingPoolMember).find({ where: { companyId: actor.companyId, userId: id }, order: { poolId: 'ASC' } }),
    em.query(
      `SELECT COUNT(*) AS n FROM \`lead\` WHERE companyId = ? AND ownerId = ? AND status IN (${HANDOVER_STATUSES.map(() => '?').join(',')}) AND deletedAt IS NULL`,
      [actor.companyId, id, ...HANDOVER_STATUSES],
    ) as Promise<{ n: number | string }[]>,
    em.query('SELECT status, COUNT(*) AS n FROM customer_transfer WHERE companyId = ? AND handoverUserId = ? GROUP BY status', [
      actor.companyId,
      id,
    ]) as Promise<{ status: string; n: number | string }[]>,
  ]);
  const pools = members.length ? await em.getRepository(RoutingPool).findBy({ companyId: actor.companyId, id: In(members.map((m) => m.poolId)) }) : [];
  return {
    ...userAdminView(user),
    deptIds: user.deptIds,
    orgUnit: unit ? { id: unit.id, name: unit.name, kind: unit.kind } : null,
    manager: manager ? { id: manager.id, name: manager.name } : null,
    pools: members
      .map((m) => ({ m, p: pools.find((p) => p.id === m.poolId) }))
      .filter(({ p }) => p && p.deletedAt === null)
      .map(({ m, p }) => ({ poolId: m.poolId, name: p!.name, weight: m.weight, cap: m.cap, shifts: m.shifts })),
    openLeads: Number(load[0]?.n ?? 0),
    customerTransfers: Object.fromEntries(transfers.map((t) => [t.status, Number(t.n)])),
  };
}

/**
 * Changes a user: role, active flag, org unit, manager and platform ids (admin), routing cap and shifts (admin, or a
 * supervisor for a rep of their subtree). Audited field by field; the user's and the company's `authVersion` are bumped
 * in the same transaction, so every process refuses or re-checks the user's next write at once (reads within
 * AUTH_CACHE_MS, see auth.middleware.ts). Deactivating hands the user's open leads on in the same transaction.
 */
export async function updateUser(app: AppContext, actor: Actor, id: number, patch: UserPatchBody, requestId?: string) {
  const adminFields = ADMIN_FIELDS.filter((f) => patch[f] !== undefined);
  if (adminFields.length) assertCan(actor, 'users.manage');
  if (patch.routing) assertCan(actor, 'users.editTeam');
  if (id === actor.id && ((patch.role !== undefined && patch.role !== actor.role) || patch.active === false)) {
    throw forbidden('不能停用自己或修改自己的角色，请让另一位管理员操作');
  }
  let result: { user: User; changes: FieldChange[]; handover: HandoverResult | null };
  try {
    result = await app.tx.run(async (em) => {
      const user = await visibleUser(em, actor, id, true);
      if (patch.routing && actor.scope && (user.role !== 'rep' || user.id === actor.id)) {
        throw forbidden('主管只能修改本团队顾问的接单上限和排班');
      }
      await checkReferences(em, actor, id, patch);
      const now = app.clock.now();
      const audit = new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now });
      const fields: Partial<User> = Object.fromEntries(adminFields.map((f) => [f, patch[f]]));
      const changes = diffFields(user, fields);
      const routing = patch.routing ? await updateRouting(em, audit, actor.companyId, user, patch.routing) : [];
      let handover: HandoverResult | null = null;
      if (changes.length) {
        const activeChange = changes.find((c) => c.field === 'active');
        const marks: Partial<User> = activeChange ? (activeChange.after ? { inactiveBy: null, leftAt: null } : { inactiveBy: 'admin', leftAt: now }) : {};
        await em.getRepository(User).update({ id }, { ...fields, ...marks, updatedAt: now });
        await bumpUserAuthVersion(em, actor.companyId, id);
        await audit.changed('app_user', id, [...changes, ...diffFields(user, marks)]);
        Object.assign(user, fields, marks, { updatedAt: now });
        if (activeChange && !activeChange.after) {
          handover = await handOverLeaver(em, app, { companyId: actor.companyId, userId: id, actorId: actor.id, reason: '管理员停用', requestId, at: now });
        }
      }
      return { user, changes: [...changes, ...routing], handover };
    }, 'users.update');
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('企业微信或钉钉账号刚被绑定给另一位用户，请刷新后重试');
    throw err;
  }
  if (result.changes.length) app.actors.clear(); // this process at once; others on the user's next write (versions)
  return {
    user: can(actor, 'users.view') ? userAdminView(result.user) : userView(result.user),
    changed: result.changes.map((c) => c.field),
    ...(result.handover ? { handover: result.handover } : {}),
  };
}

/** Org unit and manager of this company; platform ids not bound to another user of it (409 naming who has it). */
async function checkReferences(em: EntityManager, actor: Actor, id: number, patch: UserPatchBody): Promise<void> {
  const users = em.getRepository(User);
  if (patch.orgUnitId != null && !(await em.getRepository(OrgUnit).existsBy({ id: patch.orgUnitId, companyId: actor.companyId, deletedAt: IsNull() }))) {
    throw badRequest(`组织单元不存在（ID ${patch.orgUnitId}），请从组织列表中选择`);
  }
  if (patch.managerId != null) {
    if (patch.managerId === id) throw badRequest('不能把用户设为自己的上级');
    if (!(await users.existsBy({ id: patch.managerId, companyId: actor.companyId, deletedAt: IsNull() }))) {
      throw badRequest(`上级不存在（ID ${patch.managerId}），请从用户列表中选择`);
    }
  }
  for (const field of ['wecomUserId', 'dingtalkUserId'] as const) {
    const value = patch[field];
    if (!value) continue;
    const other = await users.findOneBy({ companyId: actor.companyId, [field]: value });
    if (other && other.id !== id) {
      throw conflict(`${PLATFORM_LABEL[field]}「${value}」已绑定给${other.name}（ID ${other.id}），同一公司内不能重复，请先解除其绑定`);
    }
  }
}

/** Cap and shifts of the user's pool memberships (all, or one pool): audited per membership row. */
async function updateRouting(
  em: EntityManager,
  audit: Audit,
  companyId: number,
  user: User,
  routing: NonNullable<UserPatchBody['routing']>,
): Promise<FieldChange[]> {
  const members = await em.getRepository(RoutingPoolMember).find({
    where: { companyId, userId: user.id, ...(routing.poolId ? { poolId: routing.poolId } : {}) },
    order: { poolId: 'ASC' },
  });
  const pools = members.length ? await em.getRepository(RoutingPool).findBy({ companyId, id: In(members.map((m) => m.poolId)) }) : [];
  const live = members.filter((m) => pools.some((p) => p.id === m.poolId && p.deletedAt === null));
  if (!live.length) {
    throw badRequest(
      routing.poolId
        ? `${user.name} 不在线索池（ID ${routing.poolId}）中，请先在线索池中添加`
        : `${user.name} 不在任何线索池中，请先在「分配规则 → 线索池」中添加`,
    );
  }
  const all: FieldChange[] = [];
  for (const m of live) {
    const changes = diffFields(m, { cap: routing.cap, shifts: routing.shifts });
    if (!changes.length) continue;
    await em.getRepository(RoutingPoolMember).update({ id: m.id }, Object.fromEntries(changes.map((c) => [c.field, c.after])));
    await audit.changed('routing_pool_member', m.id, changes);
    all.push(...changes.map((c) => ({ ...c, field: `routing.${c.field}` })));
  }
  return [...new Map(all.map((c) => [c.field, c])).values()];
}
