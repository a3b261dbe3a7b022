import type { OrgUnitKind } from '../companies/org-unit.entity';
import type { DirectorySettings } from '../companies/settings';
import type { PlatformName } from '../platforms/platform-error';
import type { MemberStatus, SourceDepartment, SourceMember } from './source';

/**
 * The directory sync's plan, computed without I/O from what the platform says (departments, members) and what
 * Lifeline holds (org_unit, app_user rows): which units to create, rename, move, re-kind, restore or (soft-)delete,
 * which users to create, update, deactivate or reactivate, and who supervises each unit. The apply step (apply.ts)
 * carries it out in one transaction; the incremental events use the same mapping rules (docs/directory.md).
 *
 * Mapping of the department tree (root = depth 0, the company itself):
 * - depth = centreDepth → a 中心 (centre) unit; depth = teamDepth → a 组 (team) unit under its centre-depth ancestor;
 * - deeper departments are not units: they fold into their team-depth ancestor (their members belong to that team;
 *   their leaders do not become its supervisor); departments between the two depths fold into their centre;
 * - departments above the centre depth (and the root) are not units: their members belong to no unit.
 * Lifeline has two levels (centre → team) that routing pools, scopes and dashboards are built on; a deeper tree is
 * kept in `app_user.deptIds` but not mirrored as units.
 */

export interface UnitRow {
  id: number;
  parentId: number | null;
  name: string;
  kind: OrgUnitKind;
  platform: PlatformName | null;
  externalId: string | null;
  supervisorId: number | null;
  supervisorPinned: boolean;
  deletedAt: number | null;
}

export interface UserRow {
  id: number;
  name: string;
  orgUnitId: number | null;
  active: boolean;
  /** wecomUserId or dingtalkUserId, as stored. */
  platformUserId: string | null;
  deptIds: string[] | null;
  mainDeptId: string | null;
  inactiveBy: 'admin' | 'directory' | null;
}

export interface PlanInput {
  platform: PlatformName;
  rootDepartmentId: string;
  departments: SourceDepartment[];
  members: SourceMember[];
  /** The company's live and deleted org units (all platforms: only this platform's synced ones are touched). */
  units: UnitRow[];
  /** The company's users (not deleted). */
  users: UserRow[];
  settings: Pick<DirectorySettings, 'centreDepth' | 'teamDepth'>;
}

export type IssueCode = 'cycle' | 'missing_parent' | 'duplicate_department' | 'unknown_department' | 'duplicate_user';

/** Something wrong with the directory as read; the sync still applies what it can and lists these (Chinese message). */
export interface Issue {
  code: IssueCode;
  message: string;
  ids: string[];
}

export interface UnitSpec {
  externalId: string;
  name: string;
  kind: OrgUnitKind;
  parentExternalId: string | null;
}

export type UnitField = 'name' | 'kind' | 'parent' | 'restore';

export interface UserSpec {
  /** The platform user id as the platform spells it. */
  platformUserId: string;
  name: string;
  /** The unit (a mirrored department's id), or null: none. `undefined` = keep the current unit (made in Lifeline). */
  unitExternalId: string | null | undefined;
  deptIds: string[];
  mainDeptId: string | null;
  active: boolean;
  status: MemberStatus;
  /** Leads a mirrored department: a new user gets the supervisor role (an existing user's role is never changed). */
  leads: boolean;
}

export type UserField = 'name' | 'orgUnitId' | 'deptIds' | 'mainDeptId' | 'platformUserId';

export interface Plan {
  units: {
    create: UnitSpec[];
    update: { id: number; spec: UnitSpec; fields: UnitField[] }[];
    delete: { id: number; externalId: string; name: string }[];
  };
  /** Every mirrored unit, parents first (paths are recomputed from it). */
  desiredUnits: UnitSpec[];
  /** Units whose supervisor changes: the leader's platform user id (lower-cased for WeCom), or null to clear. */
  supervisors: { unitExternalId: string; userKey: string | null }[];
  users: {
    create: UserSpec[];
    update: { id: number; spec: UserSpec; fields: UserField[] }[];
    deactivate: { id: number; name: string; reason: 'left' | 'disabled' | 'inactive' | 'missing' }[];
    reactivate: { id: number; spec: UserSpec }[];
    /** Users seen on the platform (their syncedAt is refreshed). */
    seen: number[];
  };
  issues: Issue[];
  counts: { departments: number; units: number; members: number; activeSyncedUsers: number };
}

/** Users are matched by platform user id: WeCom compares them case-insensitively, DingTalk exactly. */
export function userKey(platform: PlatformName, userId: string): string {
  return platform === 'wecom' ? userId.toLowerCase() : userId;
}

/** The depth of every department the tree reaches (root 0), and the issues on the way (cycles, missing parents). */
export function departmentDepths(
  rootId: string,
  departments: SourceDepartment[],
): { byId: Map<string, SourceDepartment>; depth: Map<string, number>; issues: Issue[] } {
  const byId = new Map<string, SourceDepartment>();
  const issues: Issue[] = [];
  const dupes: string[] = [];
  for (const d of departments) {
    if (byId.has(d.id)) dupes.push(d.id);
    else byId.set(d.id, d);
  }
  if (dupes.length) issues.push({ code: 'duplicate_department', message: `部门重复出现，已按第一次读取的为准：${dupes.join('、')}`, ids: dupes });
  const depth = new Map<string, number>();
  const missing: string[] = [];
  const unreachable = new Set<string>();
  if (byId.has(rootId)) depth.set(rootId, 0);
  for (const start of byId.keys()) {
    // Walk up until a department of known depth, the top of the visible tree, or a loop.
    const chain: string[] = [];
    const onChain = new Set<string>();
    let cur = start;
    let reached = false;
    for (;;) {
      if (depth.has(cur)) reached = true;
      if (reached || unreachable.has(cur) || onChain.has(cur)) break;
      chain.push(cur);
      onChain.add(cur);
      const parentId = byId.get(cur)!.parentId;
      if (parentId === null || !byId.has(parentId)) {
        // A top department the app can see (its parent is the root or outside the scope), or a missing parent: under the root.
        if (parentId !== null) missing.push(cur);
        depth.set(chain.pop()!, 1);
        reached = true;
        break;
      }
      cur = parentId;
    }
    if (!reached) {
      for (const id of chain) unreachable.add(id);
      continue;
    }
    for (let i = chain.length - 1; i >= 0; i--) depth.set(chain[i], depth.get(byId.get(chain[i])!.parentId!)! + 1);
  }
  if (unreachable.size) {
    const ids = [...unreachable];
    issues.push({
      code: 'cycle',
      message: `部门树中有循环（上级部门互相指向），这些部门无法放入组织，其成员挂在公司根部：${ids.join('、')}。请在通讯录中修正上级部门`,
      ids,
    });
  }
  if (missing.length) {
    issues.push({ code: 'missing_parent', message: `这些部门的上级部门不存在或不可见，已按一级部门处理：${missing.join('、')}`, ids: missing });
  }
  return { byId, depth, issues };
}

interface Tree {
  byId: Map<string, SourceDepartment>;
  depth: Map<string, number>;
}

/** The department at `targetDepth` on the way up from `id` (id itself when it is at that depth). */
function ancestorAt(tree: Tree, id: string, targetDepth: number): string | null {
  let cur: string | null = id;
  while (cur !== null) {
    const d = tree.depth.get(cur);
    if (d === undefined || d < targetDepth) return null;
    if (d === targetDepth) return cur;
    cur = tree.byId.get(cur)?.parentId ?? null;
  }
  return null;
}

/** The mirrored unit (a centre- or team-depth department id) a department belongs to, or null (above the centres). */
export function unitOfDepartment(tree: Tree, id: string, s: PlanInput['settings']): string | null {
  const d = tree.depth.get(id);
  if (d === undefined || d < s.centreDepth) return null;
  if (d >= s.teamDepth) return ancestorAt(tree, id, s.teamDepth);
  return ancestorAt(tree, id, s.centreDepth);
}

export function kindAtDepth(depth: number, s: PlanInput['settings']): OrgUnitKind | null {
  return depth === s.centreDepth ? 'centre' : depth === s.teamDepth ? 'team' : null;
}

/** Members merged by user key (a member is listed once per department; WeCom ids differ only in case). */
function mergeMembers(platform: PlatformName, members: SourceMember[], issues: Issue[]): Map<string, SourceMember> {
  const out = new Map<string, SourceMember>();
  const dupes = new Set<string>();
  for (const m of members) {
    const key = userKey(platform, m.userId);
    const prev = out.get(key);
    if (!prev) {
      out.set(key, { ...m, departmentIds: [...m.departmentIds], leaderInDepartmentIds: [...m.leaderInDepartmentIds] });
      continue;
    }
    if (prev.userId !== m.userId || prev.name !== m.name) dupes.add(prev.userId === m.userId ? m.userId : `${prev.userId}/${m.userId}`);
    for (const id of m.departmentIds) if (!prev.departmentIds.includes(id)) prev.departmentIds.push(id);
    for (const id of m.leaderInDepartmentIds) if (!prev.leaderInDepartmentIds.includes(id)) prev.leaderInDepartmentIds.push(id);
    prev.mainDepartmentId ??= m.mainDepartmentId;
  }
  if (dupes.size) {
    issues.push({
      code: 'duplicate_user',
      message: `成员账号重复（${platform === 'wecom' ? '企业微信账号不区分大小写' : '同一账号资料不一致'}），已合并为一人，以第一次读取的为准：${[...dupes].join('、')}`,
      ids: [...dupes],
    });
  }
  return out;
}

/** The mirrored units wanted, parents first. */
function desiredUnitsOf(tree: Tree, s: PlanInput['settings']): UnitSpec[] {
  const out: UnitSpec[] = [];
  for (const depth of [s.centreDepth, s.teamDepth]) {
    for (const d of tree.byId.values()) {
      if (tree.depth.get(d.id) !== depth) continue;
      const kind = kindAtDepth(depth, s)!;
      out.push({
        externalId: d.id,
        name: d.name.slice(0, 64),
        kind,
        parentExternalId: kind === 'team' ? ancestorAt(tree, d.id, s.centreDepth) : null,
      });
    }
  }
  return out;
}

function planUnits(input: PlanInput, desired: UnitSpec[]): Plan['units'] {
  const synced = input.units.filter((u) => u.platform === input.platform && u.externalId !== null);
  const byExt = new Map(synced.map((u) => [u.externalId!, u]));
  const extOfId = new Map(synced.map((u) => [u.id, u.externalId!]));
  const plan: Plan['units'] = { create: [], update: [], delete: [] };
  const wanted = new Set(desired.map((d) => d.externalId));
  for (const spec of desired) {
    const cur = byExt.get(spec.externalId);
    if (!cur) {
      plan.create.push(spec);
      continue;
    }
    const fields: UnitField[] = [];
    if (cur.name !== spec.name) fields.push('name');
    if (cur.kind !== spec.kind) fields.push('kind');
    if ((cur.parentId === null ? null : (extOfId.get(cur.parentId) ?? `#${cur.parentId}`)) !== spec.parentExternalId) fields.push('parent');
    if (cur.deletedAt !== null) fields.push('restore');
    if (fields.length) plan.update.push({ id: cur.id, spec, fields });
  }
  for (const u of synced) {
    if (u.deletedAt === null && !wanted.has(u.externalId!)) plan.delete.push({ id: u.id, externalId: u.externalId!, name: u.name });
  }
  return plan;
}

function memberSpec(input: PlanInput, tree: Tree, m: SourceMember, mirrored: Set<string>, issues: Issue[]): UserSpec {
  const known = m.departmentIds.filter((id) => tree.depth.has(id));
  const main = m.mainDepartmentId !== null && tree.depth.has(m.mainDepartmentId) ? m.mainDepartmentId : (known[0] ?? null);
  if (known.length < m.departmentIds.length) {
    const unknown = m.departmentIds.filter((id) => !tree.depth.has(id));
    issues.push({
      code: 'unknown_department',
      message: `成员 ${m.userId}（${m.name}）所在部门不在可见的部门树中：${unknown.join('、')}；${main ? '已按其可见部门归属' : '已挂在公司根部'}`,
      ids: [m.userId, ...unknown],
    });
  }
  return {
    platformUserId: m.userId,
    name: m.name.slice(0, 32),
    unitExternalId: main === null ? null : unitOfDepartment(tree, main, input.settings),
    deptIds: m.departmentIds,
    mainDeptId: m.mainDepartmentId ?? m.departmentIds[0] ?? null,
    active: m.status === 'active',
    status: m.status,
    leads: m.leaderInDepartmentIds.some((id) => mirrored.has(id)),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function planUsers(input: PlanInput, specs: Map<string, UserSpec>, unitIdOf: Map<string, number>, lifelineUnits: Set<number>): Plan['users'] {
  const plan: Plan['users'] = { create: [], update: [], deactivate: [], reactivate: [], seen: [] };
  const current = new Map<string, UserRow>();
  for (const u of input.users)
    if (u.platformUserId) current.set(userKey(input.platform, u.platformUserId), current.get(userKey(input.platform, u.platformUserId)) ?? u);
  for (const [key, spec] of specs) {
    const u = current.get(key);
    if (!u) {
      if (spec.status === 'active' || spec.status === 'inactive') plan.create.push(spec);
      continue;
    }
    plan.seen.push(u.id);
    // A member in no mirrored unit keeps a unit an admin chose in Lifeline; a synced unit they left is cleared.
    if (spec.unitExternalId === null && u.orgUnitId !== null && lifelineUnits.has(u.orgUnitId)) spec.unitExternalId = undefined;
    const fields: UserField[] = [];
    if (u.name !== spec.name) fields.push('name');
    if (spec.unitExternalId !== undefined && (spec.unitExternalId === null ? null : (unitIdOf.get(spec.unitExternalId) ?? -1)) !== u.orgUnitId)
      fields.push('orgUnitId');
    if (!same(u.deptIds, spec.deptIds)) fields.push('deptIds');
    if (u.mainDeptId !== spec.mainDeptId) fields.push('mainDeptId');
    if (u.platformUserId !== spec.platformUserId) fields.push('platformUserId');
    if (fields.length) plan.update.push({ id: u.id, spec, fields });
    if (spec.active && !u.active && u.inactiveBy === 'directory') plan.reactivate.push({ id: u.id, spec });
    if (!spec.active && u.active) plan.deactivate.push({ id: u.id, name: u.name, reason: spec.status === 'active' ? 'missing' : spec.status });
  }
  for (const [key, u] of current) {
    if (!specs.has(key) && u.active) plan.deactivate.push({ id: u.id, name: u.name, reason: 'missing' });
  }
  return plan;
}

/** Who should supervise each mirrored unit: the department's first leader who stays active (none: keep, unless leaving). */
function planSupervisors(
  input: PlanInput,
  tree: Tree,
  desired: UnitSpec[],
  merged: Map<string, SourceMember>,
  specs: Map<string, UserSpec>,
  users: Plan['users'],
): Plan['supervisors'] {
  const leadersOf = new Map<string, string[]>();
  const add = (dept: string, key: string) => {
    const list = leadersOf.get(dept) ?? [];
    if (!list.includes(key)) list.push(key);
    leadersOf.set(dept, list);
  };
  for (const d of tree.byId.values()) for (const id of d.leaderIds) add(d.id, userKey(input.platform, id));
  for (const [key, m] of merged) for (const id of m.leaderInDepartmentIds) add(id, key);
  const synced = new Map(input.units.filter((u) => u.platform === input.platform && u.externalId !== null).map((u) => [u.externalId!, u]));
  const keyOfId = new Map(input.users.filter((u) => u.platformUserId).map((u) => [u.id, userKey(input.platform, u.platformUserId!)]));
  const leaving = new Set(users.deactivate.map((d) => d.id));
  const out: Plan['supervisors'] = [];
  for (const unit of desired) {
    const cur = synced.get(unit.externalId);
    if (cur?.supervisorPinned) continue;
    const leader = (leadersOf.get(unit.externalId) ?? []).find((k) => specs.get(k)?.active) ?? null;
    const currentKey = cur?.supervisorId == null ? null : (keyOfId.get(cur.supervisorId) ?? `#${cur.supervisorId}`);
    if (leader !== null && leader !== currentKey) out.push({ unitExternalId: unit.externalId, userKey: leader });
    if (leader === null && cur?.supervisorId != null && leaving.has(cur.supervisorId)) out.push({ unitExternalId: unit.externalId, userKey: null });
  }
  return out;
}

/** The whole plan (pure): see the file comment for the mapping rules. */
export function planSync(input: PlanInput): Plan {
  const { byId, depth, issues } = departmentDepths(input.rootDepartmentId, input.departments);
  const tree = { byId, depth };
  const desiredUnits = desiredUnitsOf(tree, input.settings);
  const mirrored = new Set(desiredUnits.map((u) => u.externalId));
  const merged = mergeMembers(input.platform, input.members, issues);
  const specs = new Map<string, UserSpec>();
  for (const [key, m] of merged) specs.set(key, memberSpec(input, tree, m, mirrored, issues));
  const units = planUnits(input, desiredUnits);
  const unitIdOf = new Map(input.units.filter((u) => u.platform === input.platform && u.externalId !== null).map((u) => [u.externalId!, u.id]));
  const lifelineUnits = new Set(input.units.filter((u) => u.externalId === null || u.platform !== input.platform).map((u) => u.id));
  const users = planUsers(input, specs, unitIdOf, lifelineUnits);
  return {
    units,
    desiredUnits,
    supervisors: planSupervisors(input, tree, desiredUnits, merged, specs, users),
    users,
    issues,
    counts: {
      departments: byId.size,
      units: desiredUnits.length,
      members: merged.size,
      activeSyncedUsers: input.users.filter((u) => u.active && u.platformUserId).length,
    },
  };
}

/** The plan in numbers (what GET /api/directory/sync/:id shows as the diff). */
export function planSummary(plan: Plan) {
  return {
    units: {
      create: plan.units.create.length,
      rename: plan.units.update.filter((u) => u.fields.includes('name')).length,
      move: plan.units.update.filter((u) => u.fields.includes('parent') || u.fields.includes('kind')).length,
      restore: plan.units.update.filter((u) => u.fields.includes('restore')).length,
      delete: plan.units.delete.length,
    },
    users: {
      create: plan.users.create.length,
      update: plan.users.update.length,
      deactivate: plan.users.deactivate.length,
      reactivate: plan.users.reactivate.length,
    },
    supervisors: plan.supervisors.length,
    counts: plan.counts,
  };
}

export function planIsEmpty(plan: Plan): boolean {
  const s = planSummary(plan);
  return Object.values(s.units).every((n) => n === 0) && Object.values(s.users).every((n) => n === 0) && s.supervisors === 0;
}
