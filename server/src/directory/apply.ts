import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import type { PlatformName } from '../platforms/platform-error';
import { writeAudits, type AuditContext, type AuditRecord } from '../audit/audit.service';
import { bumpCompanyAuthVersion } from '../companies/auth-version';
import { OrgUnit } from '../companies/org-unit.entity';
import { User } from '../users/user.entity';
import { handOverLeaver } from '../users/handover';
import { recordLeadChanges } from '../projector/outbox';
import { insertRow, insertRows, updateManyById } from '../db/rows';
import { userKey, type Plan, type UnitSpec, type UserField } from './planner';

const CHUNK = 500;
const OPEN = ['pending', 'assigned', 'following'];

const PLATFORM_LABEL: Record<PlatformName, string> = { wecom: '企业微信通讯录', dingtalk: '钉钉通讯录' };
const LEAVE_REASON = { left: '已离职', disabled: '已被禁用', inactive: '未激活', missing: '已不在通讯录（或不在应用可见范围）' } as const;

export interface ApplyArgs {
  companyId: number;
  platform: PlatformName;
  plan: Plan;
  /** The admin who started or approved the run, or null (schedule, events). */
  actorId: number | null;
  requestId?: string;
  at: number;
}

export interface ApplyResult {
  unitsCreated: number;
  unitsUpdated: number;
  unitsDeleted: number;
  usersCreated: number;
  usersUpdated: number;
  usersDeactivated: number;
  usersReactivated: number;
  supervisorsSet: number;
  leadsMoved: number;
  handedOver: number;
}

function chunks<T>(xs: T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(',');

class Audits {
  private readonly records: AuditRecord[] = [];
  constructor(private readonly ctx: AuditContext) {}
  add(r: AuditRecord) {
    if (r.changes.length) this.records.push(r);
  }
  async flush(em: EntityManager) {
    for (const part of chunks(this.records, 200)) await writeAudits(em, [{ ctx: this.ctx, records: part }]);
    this.records.length = 0;
  }
}

async function syncedUnits(em: EntityManager, companyId: number, platform: PlatformName): Promise<Map<string, OrgUnit>> {
  const rows = await em.getRepository(OrgUnit).find({ where: { companyId, platform } });
  return new Map(rows.filter((u) => u.externalId !== null).map((u) => [u.externalId!, u]));
}

/** Units: create (parents first), rename / move / re-kind / restore, then every mirrored unit's path from its parent. */
async function applyUnits(em: EntityManager, a: ApplyArgs, units: Map<string, OrgUnit>, audits: Audits, r: ApplyResult) {
  const parentIdOf = (spec: UnitSpec) => (spec.parentExternalId === null ? null : (units.get(spec.parentExternalId)?.id ?? null));
  for (const spec of a.plan.units.create) {
    const row = Object.assign(new OrgUnit(), {
      companyId: a.companyId,
      parentId: parentIdOf(spec),
      name: spec.name,
      kind: spec.kind,
      path: '/',
      supervisorId: null,
      platform: a.platform,
      externalId: spec.externalId,
      supervisorPinned: false,
      createdAt: a.at,
      deletedAt: null,
    });
    await insertRow(em, OrgUnit, row);
    units.set(spec.externalId, row);
    audits.add({ entity: 'org_unit', entityId: row.id, action: 'create', changes: [{ field: '*', before: null, after: { ...spec, platform: a.platform } }] });
    r.unitsCreated++;
  }
  const updates: { id: number; patch: Partial<OrgUnit> }[] = [];
  for (const { id, spec, fields } of a.plan.units.update) {
    const cur = units.get(spec.externalId)!;
    const patch: Partial<OrgUnit> = {};
    if (fields.includes('name')) patch.name = spec.name;
    if (fields.includes('kind')) patch.kind = spec.kind;
    if (fields.includes('parent')) patch.parentId = parentIdOf(spec);
    if (fields.includes('restore')) patch.deletedAt = null;
    const changes = Object.entries(patch).map(([field, after]) => ({ field, before: (cur as unknown as Record<string, unknown>)[field], after }));
    audits.add({ entity: 'org_unit', entityId: id, action: fields.includes('restore') ? 'restore' : 'update', changes });
    Object.assign(cur, patch);
    updates.push({ id, patch });
    r.unitsUpdated++;
  }
  await updateManyById(em, OrgUnit, updates);
  const paths: { id: number; patch: Partial<OrgUnit> }[] = [];
  for (const spec of a.plan.desiredUnits) {
    const u = units.get(spec.externalId);
    if (!u) continue;
    const parent = u.parentId === null ? null : [...units.values()].find((p) => p.id === u.parentId);
    const path = `${parent ? parent.path : '/'}${u.id}/`;
    if (u.path !== path) {
      u.path = path;
      paths.push({ id: u.id, patch: { path } });
    }
  }
  for (const part of chunks(paths)) await updateManyById(em, OrgUnit, part);
}

const COLUMN_OF: Record<UserField, keyof User> = {
  name: 'name',
  orgUnitId: 'orgUnitId',
  deptIds: 'deptIds',
  mainDeptId: 'mainDeptId',
  platformUserId: 'wecomUserId',
};

async function createUsers(em: EntityManager, a: ApplyArgs, units: Map<string, OrgUnit>, audits: Audits, r: ApplyResult): Promise<number[]> {
  const idColumn = a.platform === 'wecom' ? 'wecomUserId' : 'dingtalkUserId';
  const rows = a.plan.users.create.map(
    (s) =>
      Object.assign(new User(), {
        companyId: a.companyId,
        name: s.name,
        role: s.leads ? 'supervisor' : 'rep',
        orgUnitId: s.unitExternalId ? (units.get(s.unitExternalId)?.id ?? null) : null,
        managerId: null,
        active: s.active,
        authVersion: 0,
        wecomUserId: idColumn === 'wecomUserId' ? s.platformUserId : null,
        dingtalkUserId: idColumn === 'dingtalkUserId' ? s.platformUserId : null,
        deptIds: s.deptIds,
        mainDeptId: s.mainDeptId,
        syncedAt: a.at,
        inactiveBy: s.active ? null : 'directory',
        leftAt: null,
        createdAt: a.at,
        updatedAt: a.at,
        deletedAt: null,
      }) as User,
  );
  for (const part of chunks(rows, 200)) await insertRows(em, User, part, ['companyId', idColumn]);
  for (const u of rows) {
    const { id, name, role, orgUnitId, active, wecomUserId, dingtalkUserId, deptIds, mainDeptId, inactiveBy } = u;
    const snapshot = { name, role, orgUnitId, active, wecomUserId, dingtalkUserId, deptIds, mainDeptId, inactiveBy };
    audits.add({ entity: 'app_user', entityId: id, action: 'create', changes: [{ field: '*', before: null, after: snapshot }] });
  }
  r.usersCreated += rows.length;
  return rows.map((u) => u.id);
}

/** Users: create, update, reactivate, deactivate (handing their leads over in this transaction), refresh syncedAt. */
async function applyUsers(em: EntityManager, app: AppContext, a: ApplyArgs, units: Map<string, OrgUnit>, audits: Audits, r: ApplyResult) {
  const touched = new Set<number>(await createUsers(em, a, units, audits, r));
  const idColumn = a.platform === 'wecom' ? 'wecomUserId' : 'dingtalkUserId';
  const ids = [...a.plan.users.update.map((u) => u.id), ...a.plan.users.reactivate.map((u) => u.id), ...a.plan.users.deactivate.map((u) => u.id)];
  const current = new Map<number, User>();
  for (const part of chunks([...new Set(ids)])) {
    for (const u of await em.getRepository(User).findBy(part.map((id) => ({ id, companyId: a.companyId })))) current.set(u.id, u);
  }
  const updates: { id: number; patch: Partial<User> }[] = [];
  const patchUser = (id: number, patch: Partial<User>, action: 'update' | 'restore' = 'update') => {
    const cur = current.get(id);
    if (!cur) return;
    const changes = Object.entries(patch).map(([field, after]) => ({ field, before: (cur as unknown as Record<string, unknown>)[field], after }));
    audits.add({ entity: 'app_user', entityId: id, action, changes });
    Object.assign(cur, patch);
    updates.push({ id, patch: { ...patch, updatedAt: a.at } });
    touched.add(id);
  };
  for (const { id, spec, fields } of a.plan.users.update) {
    const patch: Partial<User> = {};
    for (const f of fields) {
      const column = f === 'platformUserId' ? idColumn : COLUMN_OF[f];
      const value =
        f === 'orgUnitId'
          ? spec.unitExternalId
            ? (units.get(spec.unitExternalId)?.id ?? null)
            : null
          : f === 'platformUserId'
            ? spec.platformUserId
            : spec[f];
      (patch as Record<string, unknown>)[column] = value;
    }
    patchUser(id, patch);
    r.usersUpdated++;
  }
  for (const { id } of a.plan.users.reactivate) {
    patchUser(id, { active: true, inactiveBy: null, leftAt: null }, 'restore');
    r.usersReactivated++;
  }
  for (const d of a.plan.users.deactivate) {
    patchUser(d.id, { active: false, inactiveBy: 'directory', ...(d.reason === 'left' || d.reason === 'missing' ? { leftAt: a.at } : {}) });
    r.usersDeactivated++;
  }
  for (const part of chunks(updates)) await updateManyById(em, User, part);
  // Leads of leavers go on in this same transaction: never a lead owned by an inactive user.
  for (const d of a.plan.users.deactivate) {
    const reason = `${PLATFORM_LABEL[a.platform]}：${LEAVE_REASON[d.reason]}`;
    const h = await handOverLeaver(em, app, { companyId: a.companyId, userId: d.id, actorId: a.actorId, reason, requestId: a.requestId, at: a.at });
    r.handedOver += h.leads;
  }
  for (const part of chunks([...touched])) {
    await em.query(`UPDATE app_user SET authVersion = authVersion + 1 WHERE companyId = ? AND id IN (${marks(part.length)})`, [a.companyId, ...part]);
  }
  for (const part of chunks(a.plan.users.seen)) {
    await em.query(`UPDATE app_user SET syncedAt = ? WHERE companyId = ? AND id IN (${marks(part.length)})`, [a.at, a.companyId, ...part]);
  }
}

async function applySupervisors(em: EntityManager, a: ApplyArgs, units: Map<string, OrgUnit>, audits: Audits, r: ApplyResult) {
  if (!a.plan.supervisors.length) return;
  const idColumn = a.platform === 'wecom' ? 'wecomUserId' : 'dingtalkUserId';
  const keys = [...new Set(a.plan.supervisors.map((s) => s.userKey).filter((k): k is string => k !== null))];
  const idOfKey = new Map<string, number>();
  for (const part of chunks(keys)) {
    const rows: { id: number; pid: string }[] = await em.query(
      `SELECT id, ${idColumn} AS pid FROM app_user WHERE companyId = ? AND deletedAt IS NULL AND ${a.platform === 'wecom' ? 'LOWER(wecomUserId)' : 'dingtalkUserId'} IN (${marks(part.length)})`,
      [a.companyId, ...part],
    );
    for (const row of rows) idOfKey.set(userKey(a.platform, row.pid), Number(row.id));
  }
  const updates: { id: number; patch: Partial<OrgUnit> }[] = [];
  for (const s of a.plan.supervisors) {
    const unit = units.get(s.unitExternalId);
    const userId = s.userKey === null ? null : (idOfKey.get(s.userKey) ?? null);
    // A leader who is not a user (yet) leaves the supervisor as it is.
    if (!unit || unit.supervisorId === userId || (s.userKey !== null && userId === null)) continue;
    audits.add({ entity: 'org_unit', entityId: unit.id, action: 'update', changes: [{ field: 'supervisorId', before: unit.supervisorId, after: userId }] });
    unit.supervisorId = userId;
    updates.push({ id: unit.id, patch: { supervisorId: userId } });
    r.supervisorsSet++;
  }
  for (const part of chunks(updates)) await updateManyById(em, OrgUnit, part);
}

/** Units gone from the directory: their open leads move to the nearest unit that stays (the parent), then the unit is soft-deleted. */
async function deleteUnits(em: EntityManager, a: ApplyArgs, units: Map<string, OrgUnit>, audits: Audits, r: ApplyResult) {
  const gone = new Set(a.plan.units.delete.map((d) => d.id));
  const byId = new Map([...units.values()].map((u) => [u.id, u]));
  const moved: number[] = [];
  for (const d of a.plan.units.delete) {
    let target = byId.get(d.id)?.parentId ?? null;
    while (target !== null && gone.has(target)) target = byId.get(target)?.parentId ?? null;
    const leads: { id: number }[] = await em.query(
      `SELECT id FROM \`lead\` WHERE companyId = ? AND orgUnitId = ? AND deletedAt IS NULL AND status IN (${marks(OPEN.length)})`,
      [a.companyId, d.id, ...OPEN],
    );
    const ids = leads.map((l) => Number(l.id));
    for (const part of chunks(ids)) {
      await em.query(`UPDATE \`lead\` SET orgUnitId = ?, updatedAt = ? WHERE id IN (${marks(part.length)})`, [target, a.at, ...part]);
    }
    for (const id of ids) audits.add({ entity: 'lead', entityId: id, action: 'update', changes: [{ field: 'orgUnitId', before: d.id, after: target }] });
    moved.push(...ids);
    await em.query('UPDATE org_unit SET deletedAt = ? WHERE id = ? AND companyId = ?', [a.at, d.id, a.companyId]);
    audits.add({ entity: 'org_unit', entityId: d.id, action: 'delete', changes: [{ field: 'deletedAt', before: null, after: a.at }] });
    r.unitsDeleted++;
  }
  r.leadsMoved += moved.length;
  await recordLeadChanges(em, a.companyId, moved, a.at);
}

/**
 * Carries out a plan in the caller's transaction: all of it or (on any error, the caller's transaction rolling back)
 * none of it, so the org is never half moved. Audited row by row (actor: the admin who ran it, or null for the sync).
 */
export async function applyPlan(em: EntityManager, app: AppContext, a: ApplyArgs): Promise<ApplyResult> {
  const r: ApplyResult = {
    unitsCreated: 0,
    unitsUpdated: 0,
    unitsDeleted: 0,
    usersCreated: 0,
    usersUpdated: 0,
    usersDeactivated: 0,
    usersReactivated: 0,
    supervisorsSet: 0,
    leadsMoved: 0,
    handedOver: 0,
  };
  const audits = new Audits({ companyId: a.companyId, actorId: a.actorId, requestId: a.requestId ?? null, at: a.at });
  const units = await syncedUnits(em, a.companyId, a.platform);
  await applyUnits(em, a, units, audits, r);
  await applyUsers(em, app, a, units, audits, r);
  await applySupervisors(em, a, units, audits, r);
  await deleteUnits(em, a, units, audits, r);
  await audits.flush(em);
  if (Object.values(r).some((n) => n > 0)) await bumpCompanyAuthVersion(em, a.companyId);
  return r;
}
