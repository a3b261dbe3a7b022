import { describe, expect, it } from 'vitest';
import { departmentDepths, planSync, type PlanInput, type UnitRow, type UserRow } from '../../server/src/directory/planner';
import type { SourceDepartment, SourceMember } from '../../server/src/directory/source';

const dept = (id: string, parentId: string | null, name = `部门${id}`, leaderIds: string[] = []): SourceDepartment => ({
  id,
  parentId,
  name,
  order: 0,
  leaderIds,
});
const member = (userId: string, departmentIds: string[], more: Partial<SourceMember> = {}): SourceMember => ({
  userId,
  name: `成员${userId}`,
  departmentIds,
  mainDepartmentId: departmentIds[0] ?? null,
  leaderInDepartmentIds: [],
  status: 'active',
  position: null,
  ...more,
});
const unit = (id: number, externalId: string, parentId: number | null, kind: 'centre' | 'team', more: Partial<UnitRow> = {}): UnitRow => ({
  id,
  parentId,
  name: `部门${externalId}`,
  kind,
  platform: 'wecom',
  externalId,
  supervisorId: null,
  supervisorPinned: false,
  deletedAt: null,
  ...more,
});
const user = (id: number, platformUserId: string | null, more: Partial<UserRow> = {}): UserRow => ({
  id,
  name: `成员${platformUserId}`,
  orgUnitId: null,
  active: true,
  platformUserId,
  deptIds: null,
  mainDeptId: null,
  inactiveBy: null,
  ...more,
});

const TREE = [dept('1', null, '公司'), dept('10', '1', '苏州中心'), dept('11', '10', '中考组'), dept('12', '10', '小学组'), dept('111', '11', '中考一班')];

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    platform: 'wecom',
    rootDepartmentId: '1',
    departments: TREE,
    members: [],
    units: [],
    users: [],
    settings: { centreDepth: 1, teamDepth: 2 },
    ...over,
  };
}

describe('directory planner', () => {
  it('maps depth 1 to centres and depth 2 to teams; deeper departments fold into their team, the root is no unit', () => {
    const plan = planSync(input({ members: [member('a', ['111']), member('b', ['1']), member('c', ['12'], { leaderInDepartmentIds: ['12'] })] }));
    expect(plan.desiredUnits).toEqual([
      { externalId: '10', name: '苏州中心', kind: 'centre', parentExternalId: null },
      { externalId: '11', name: '中考组', kind: 'team', parentExternalId: '10' },
      { externalId: '12', name: '小学组', kind: 'team', parentExternalId: '10' },
    ]);
    expect(plan.units.create.map((u) => u.externalId)).toEqual(['10', '11', '12']);
    const byId = Object.fromEntries(plan.users.create.map((u) => [u.platformUserId, u]));
    expect(byId.a.unitExternalId).toBe('11');
    expect(byId.a.deptIds).toEqual(['111']);
    expect(byId.b.unitExternalId).toBeNull();
    expect(byId.c).toMatchObject({ unitExternalId: '12', leads: true });
    expect(plan.supervisors).toEqual([{ unitExternalId: '12', userKey: 'c' }]);
    expect(plan.issues).toEqual([]);
  });

  it('other depth settings: centres at depth 2, teams at depth 3', () => {
    const plan = planSync(input({ settings: { centreDepth: 2, teamDepth: 3 }, members: [member('a', ['111']), member('b', ['10'])] }));
    expect(plan.desiredUnits.map((u) => [u.externalId, u.kind, u.parentExternalId])).toEqual([
      ['11', 'centre', null],
      ['12', 'centre', null],
      ['111', 'team', '11'],
    ]);
    expect(plan.users.create.map((u) => [u.platformUserId, u.unitExternalId])).toEqual([
      ['a', '111'],
      ['b', null],
    ]);
  });

  it('a cycle in the tree is reported; its departments are left out and their members hang at the root', () => {
    const departments = [...TREE, dept('20', '21', '甲'), dept('21', '20', '乙'), dept('22', '21', '丙')];
    const plan = planSync(input({ departments, members: [member('x', ['22'])] }));
    const cycle = plan.issues.find((i) => i.code === 'cycle');
    expect(cycle?.ids.sort()).toEqual(['20', '21', '22']);
    expect(cycle?.message).toMatch(/循环/);
    expect(plan.desiredUnits.map((u) => u.externalId)).not.toContain('20');
    expect(plan.users.create[0]).toMatchObject({ platformUserId: 'x', unitExternalId: null });
    expect(plan.issues.find((i) => i.code === 'unknown_department')?.ids).toEqual(['x', '22']);
    // A department that is its own parent is a cycle too.
    expect(departmentDepths('1', [dept('1', null), dept('5', '5')]).issues[0]).toMatchObject({ code: 'cycle', ids: ['5'] });
  });

  it('a member in an unknown department is attached to a visible one or the root, and reported', () => {
    const plan = planSync(input({ members: [member('a', ['999', '12'], { mainDepartmentId: '999' }), member('b', ['998'])] }));
    const byId = Object.fromEntries(plan.users.create.map((u) => [u.platformUserId, u]));
    expect(byId.a.unitExternalId).toBe('12');
    expect(byId.b.unitExternalId).toBeNull();
    const issues = plan.issues.filter((i) => i.code === 'unknown_department');
    expect(issues.map((i) => i.ids)).toEqual([
      ['a', '999'],
      ['b', '998'],
    ]);
    expect(issues[1].message).toMatch(/根部/);
  });

  it('a missing parent puts the department under the root, reported', () => {
    const plan = planSync(input({ departments: [...TREE, dept('30', '404', '孤儿部门')] }));
    expect(plan.issues).toEqual([expect.objectContaining({ code: 'missing_parent', ids: ['30'] })]);
    expect(plan.desiredUnits.find((u) => u.externalId === '30')).toMatchObject({ kind: 'centre' });
  });

  it('WeCom ids differing only in case are one user (merged, reported); DingTalk ids are exact', () => {
    const members = [member('ZhangSan', ['11']), member('zhangsan', ['12'])];
    const plan = planSync(input({ members }));
    expect(plan.users.create).toHaveLength(1);
    expect(plan.users.create[0].deptIds).toEqual(['11', '12']);
    expect(plan.issues).toEqual([expect.objectContaining({ code: 'duplicate_user', ids: ['ZhangSan/zhangsan'] })]);
    // The same member listed in two departments (the platforms list per department) is not a duplicate.
    expect(planSync(input({ members: [member('a', ['11', '12']), member('a', ['11', '12'])] })).issues).toEqual([]);
    const ding = planSync(input({ platform: 'dingtalk', members, units: [] }));
    expect(ding.users.create).toHaveLength(2);
    // An existing user matched case-insensitively is updated (its id spelling follows the platform), not duplicated.
    const existing = planSync(input({ members: [member('ZhangSan', ['11'])], users: [user(7, 'zhangsan', { name: '成员ZhangSan' })] }));
    expect(existing.users.create).toEqual([]);
    expect(existing.users.update[0]).toMatchObject({ id: 7, fields: expect.arrayContaining(['platformUserId']) });
  });

  it('rename and move of a unit in one plan; a unit gone is deleted; an identical second plan is empty', () => {
    const units = [unit(1, '10', null, 'centre'), unit(2, '11', 1, 'team'), unit(3, '12', 1, 'team'), unit(4, '13', null, 'centre', { name: '部门13' })];
    const departments = [dept('1', null), dept('10', '1', '部门10'), dept('13', '1', '部门13'), dept('11', '13', '中考组（新）'), dept('12', '10', '部门12')];
    const plan = planSync(input({ departments, units }));
    expect(plan.units.update).toEqual([
      { id: 2, spec: { externalId: '11', name: '中考组（新）', kind: 'team', parentExternalId: '13' }, fields: ['name', 'parent'] },
    ]);
    const gone = planSync(input({ departments: departments.filter((d) => d.id !== '12'), units }));
    expect(gone.units.delete).toEqual([{ id: 3, externalId: '12', name: '部门12' }]);
    // Units made in Lifeline (no platform id) are never touched.
    const mine = planSync(input({ departments, units: [...units, unit(9, 'x', null, 'centre', { platform: null, externalId: null })] }));
    expect(mine.units.delete).toEqual([]);
    const after = [unit(1, '10', null, 'centre'), unit(2, '11', 4, 'team', { name: '中考组（新）' }), unit(3, '12', 1, 'team'), unit(4, '13', null, 'centre')];
    const again = planSync(input({ departments, units: after }));
    expect(again.units).toEqual({ create: [], update: [], delete: [] });
  });

  it('users: deactivated when gone or left, reactivated only when the sync deactivated them; roles are not part of the plan', () => {
    const units = [unit(1, '10', null, 'centre'), unit(2, '11', 1, 'team')];
    const users = [
      user(1, 'stay', { orgUnitId: 2, deptIds: ['11'], mainDeptId: '11', name: '成员stay' }),
      user(2, 'gone'),
      user(3, 'left'),
      user(4, 'back', { active: false, inactiveBy: 'directory', orgUnitId: 2, deptIds: ['11'], mainDeptId: '11', name: '成员back' }),
      user(5, 'banned', { active: false, inactiveBy: 'admin', orgUnitId: 2, deptIds: ['11'], mainDeptId: '11', name: '成员banned' }),
      user(6, null),
    ];
    const members = [member('stay', ['11']), member('left', ['11'], { status: 'left' }), member('back', ['11']), member('banned', ['11'])];
    const plan = planSync(input({ departments: TREE, units, users, members }));
    expect(plan.users.deactivate).toEqual([
      { id: 3, name: '成员left', reason: 'left' },
      { id: 2, name: '成员gone', reason: 'missing' },
    ]);
    expect(plan.users.reactivate.map((r) => r.id)).toEqual([4]);
    expect(plan.users.update.filter((u) => u.id !== 3)).toEqual([]);
    expect(plan.users.create).toEqual([]);
    expect(plan.counts.activeSyncedUsers).toBe(3);
  });

  it('leaders become supervisors unless the unit is pinned; a leaving supervisor with no successor is cleared', () => {
    const units = [
      unit(1, '10', null, 'centre', { supervisorId: 5 }),
      unit(2, '11', 1, 'team', { supervisorId: 6, supervisorPinned: true }),
      unit(3, '12', 1, 'team'),
    ];
    const departments = [dept('1', null), dept('10', '1', '部门10'), dept('11', '10', '部门11', ['lead11']), dept('12', '10', '部门12', ['Lead12'])];
    const users = [user(5, 'old'), user(6, 'pinned')];
    const plan = planSync(input({ departments, units, users, members: [member('lead11', ['11']), member('lead12', ['12']), member('pinned', ['11'])] }));
    expect(plan.supervisors).toEqual(
      [
        { unitExternalId: '12', userKey: 'lead12' },
        { unitExternalId: '10', userKey: null },
      ].reverse(),
    );
  });
});
