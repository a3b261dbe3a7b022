import { afterAll, beforeAll, expect, it } from 'vitest';
import { directoryOf } from '../../server/src/directory';
import { describeEachDb, Harness, type Res } from '../support/harness';
import { MemoryDirectory } from '../support/memory-directory';

const ADMIN = '系统管理员';
const MIN = 60_000;

/**
 * Directory sync end to end (docs/directory.md) against an in-memory WeCom directory: a full sync mirrors centres,
 * teams, members and leaders; a second one changes nothing; a sync cut off midway resumes where it stopped and a
 * second worker never applies it twice; a big deactivation waits for an admin's review; contact-change events apply
 * one change each, replays are ignored and events out of order end in the platform's current state.
 */
describeEachDb('directory sync: full, resumable, reviewed, incremental', (kind) => {
  const h = new Harness(kind, 0);
  let dir: MemoryDirectory;
  beforeAll(async () => {
    await h.start();
    dir = new MemoryDirectory('wecom', 'ww-test');
    dir.dept('10', '1', '苏州中心', ['LiuBo']).dept('11', '10', '中考组', ['ZhouLi']).dept('12', '10', '小学组').dept('111', '11', '中考一班');
    dir.dept('20', '1', '无锡中心');
    dir.member('LiuBo', '刘波', ['10'], { leaderInDepartmentIds: ['10'] });
    dir.member('ZhouLi', '周丽', ['11'], { leaderInDepartmentIds: ['11'] });
    for (let i = 0; i < 12; i++) dir.member(`rep${i}`, `销售${i}`, [i % 3 === 0 ? '111' : i % 3 === 1 ? '11' : '12']);
    await h.ds.query('UPDATE company SET wecomCorpId = ? WHERE id = ?', ['ww-test', h.seed.companyId]);
    h.app.platformOverrides = { directory: (id) => (id === h.seed.companyId ? dir : null) };
  });
  afterAll(() => h.stop());

  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const worker = () => directoryOf(h.app).syncWorker;
  const run = async (id: number) => ok(await h.req('GET', `/api/directory/sync/${id}`, { as: ADMIN }), 'run') as any;
  const sync = async () => {
    const started = ok(await h.req('POST', '/api/directory/sync', { as: ADMIN, body: {} }), 'start') as any;
    await worker().tick();
    return run(started.id);
  };
  const unit = async (externalId: string) =>
    (await h.ds.query('SELECT * FROM org_unit WHERE companyId = ? AND externalId = ?', [h.seed.companyId, externalId]))[0];
  const user = async (wecomUserId: string) =>
    (await h.ds.query('SELECT * FROM app_user WHERE companyId = ? AND LOWER(wecomUserId) = ?', [h.seed.companyId, wecomUserId.toLowerCase()]))[0];
  const orgRows = async () =>
    JSON.stringify([
      await h.ds.query('SELECT id, name, kind, parentId, path, supervisorId, deletedAt FROM org_unit ORDER BY id'),
      await h.ds.query('SELECT id, name, orgUnitId, active, role, wecomUserId FROM app_user ORDER BY id'),
    ]);

  it('mirrors depth 1 as centres and depth 2 as teams, members with their platform ids, leaders as supervisors; the seeded org is untouched', async () => {
    const seeded = await h.ds.query('SELECT id, name, path FROM org_unit WHERE companyId = ? ORDER BY id', [h.seed.companyId]);
    const r = await sync();
    expect(r.status).toBe('applied');
    expect(r.diff.applied).toMatchObject({ unitsCreated: 4, usersCreated: 14, usersDeactivated: 0 });
    expect(r.notice).toMatch(/手机号/);
    const centre = await unit('10');
    const team = await unit('11');
    expect(centre).toMatchObject({ name: '苏州中心', kind: 'centre', parentId: null });
    expect(team).toMatchObject({ name: '中考组', kind: 'team', parentId: centre.id, path: `/${centre.id}/${team.id}/` });
    expect(await unit('111')).toBeUndefined(); // deeper departments fold into their team
    expect(await user('rep0')).toMatchObject({ orgUnitId: team.id, role: 'rep' }); // member of 中考一班 → 中考组
    expect(await user('zhouli')).toMatchObject({ role: 'supervisor' });
    expect(Number(team.supervisorId)).toBe((await user('ZhouLi')).id);
    expect(Number(centre.supervisorId)).toBe((await user('LiuBo')).id);
    const seededIds = new Set(seeded.map((u: { id: number }) => u.id));
    const after = await h.ds.query('SELECT id, name, path FROM org_unit WHERE companyId = ? ORDER BY id', [h.seed.companyId]);
    expect(after.filter((u: { id: number }) => seededIds.has(u.id))).toEqual(seeded);
    expect(await h.count('audit_log', "entity = 'org_unit' AND action = 'create' AND companyId = ?", [h.seed.companyId])).toBeGreaterThanOrEqual(4);
  });

  it('a second sync of the same directory changes nothing; a role set in Lifeline survives every sync', async () => {
    const rep = await user('rep1');
    ok(await h.req('PATCH', `/api/users/${rep.id}`, { as: ADMIN, body: { role: 'supervisor' } }), 'role');
    const before = await orgRows();
    const r = await sync();
    expect(r.status).toBe('applied');
    expect(r.diff.units).toEqual({ create: 0, rename: 0, move: 0, restore: 0, delete: 0 });
    expect(r.diff.users).toEqual({ create: 0, update: 0, deactivate: 0, reactivate: 0 });
    expect(await orgRows()).toBe(before);
    expect((await user('rep1')).role).toBe('supervisor');
  });

  it('one live sync per company: a second start is a 409 naming the first; no platform configured is a 400 in Chinese', async () => {
    const first = ok(await h.req('POST', '/api/directory/sync', { as: ADMIN, body: {} }), 'start') as any;
    const second = await h.req('POST', '/api/directory/sync', { as: ADMIN, body: {} });
    expect(second.status).toBe(409);
    expect(second.text).toContain(`ID ${first.id}`);
    await worker().tick();
    expect((await run(first.id)).status).toBe('applied');
    h.app.platformOverrides = { directory: () => null };
    try {
      const none = await h.req('POST', '/api/directory/sync', { as: ADMIN, body: {} });
      expect(none.status).toBe(400);
      expect(none.text).toMatch(/未配置企业微信或钉钉通讯录/);
    } finally {
      h.app.platformOverrides = { directory: (id) => (id === h.seed.companyId ? dir : null) };
    }
  });

  it('cut off midway (a rate limit), the org stays as it was; the run resumes later at the next department, not from the start', async () => {
    dir.dept('13', '10', '高中组');
    dir.member('rep20', '销售20', ['13']);
    const before = await orgRows();
    dir.failAt(4, MemoryDirectory.rateLimited(90_000));
    const started = ok(await h.req('POST', '/api/directory/sync', { as: ADMIN, body: {} }), 'start') as any;
    const callsAtStart = dir.calls;
    await worker().tick();
    const parked = await run(started.id);
    expect(parked).toMatchObject({ status: 'fetching', errorKind: 'rate_limited' });
    expect(parked.progress.deptsDone).toBe(2);
    expect(parked.parkedUntil).toBe(h.clock.now() + 90_000);
    expect(parked.error).toMatch(/限流/);
    expect(await orgRows()).toBe(before);
    await worker().tick(); // not yet due
    expect((await run(started.id)).status).toBe('fetching');
    h.clock.advance(91_000);
    await worker().tick();
    const done = await run(started.id);
    expect(done.status).toBe('applied');
    expect(done.diff.applied).toMatchObject({ unitsCreated: 1, usersCreated: 1 });
    const listed = dir.log.slice(callsAtStart);
    expect(listed.filter((c) => c === 'listDepartments')).toHaveLength(1);
    expect(listed.filter((c) => c.startsWith('listMembers:'))).toHaveLength(dir.departments.size + 1); // the failed page, asked again once
    expect(await h.count('directory_sync_item', 'runId = ?', [started.id])).toBe(0);
  });

  it('a process that dies mid-fetch loses its lease; another resumes the run and the first can no longer write to it', async () => {
    const hold = h.gate.hold('directory:sync:page:2');
    const started = ok(await h.req('POST', '/api/directory/sync', { as: ADMIN, body: {} }), 'start') as any;
    const stuck = worker().tick();
    await hold.reached;
    h.clock.advance(2 * MIN); // the held worker's lease lapses, as if its process had died
    const { SyncWorker } = await import('../../server/src/directory/sync-worker');
    await new SyncWorker(h.app).tick();
    expect((await run(started.id)).status).toBe('applied');
    hold.release();
    await stuck;
    const r = await run(started.id);
    expect(r.status).toBe('applied');
    expect(await h.count('audit_log', "entity = 'directory_sync_run' AND entityId = ?", [started.id])).toBe(1); // one start, no second apply
  });

  it('deactivating more than 10% waits for review: nothing changes until an admin applies; then leavers hand their leads on', async () => {
    const leaver = await user('rep2');
    const lead = ok(
      await h.req('POST', '/api/leads', { as: ADMIN, body: { phone: '13955550001', channel: '抖音-202601直播', ownerId: leaver.id } }),
      'lead',
    ) as any;
    for (const id of ['rep2', 'rep3', 'rep4']) dir.members.get(id)!.status = 'left';
    const before = await orgRows();
    const r = await sync();
    expect(r.status).toBe('review');
    expect(r.diff.users.deactivate).toBe(3);
    expect(r.diff.review.join()).toMatch(/将停用 3 人/);
    expect(r.diff.usersDeactivated.map((u: any) => u.name).sort()).toEqual(['销售2', '销售3', '销售4']);
    await worker().tick();
    expect(await orgRows()).toBe(before);
    expect((await h.req('POST', `/api/directory/sync/${r.id}/apply`, { as: '李静' })).status).toBe(403);
    ok(await h.req('POST', `/api/directory/sync/${r.id}/apply`, { as: ADMIN }), 'apply');
    await worker().tick();
    const applied = await run(r.id);
    expect(applied).toMatchObject({ status: 'applied', approvedBy: (await h.user(ADMIN)).id });
    expect(await user('rep2')).toMatchObject({ active: 0, inactiveBy: 'directory' });
    const [l] = await h.ds.query('SELECT ownerId FROM `lead` WHERE id = ?', [lead.lead.id]);
    expect(l.ownerId).not.toBe(leaver.id);
    expect(
      await h.count('`lead` l JOIN app_user u ON u.id = l.ownerId', "u.active = 0 AND l.status IN ('pending','assigned','following') AND l.deletedAt IS NULL"),
    ).toBe(0);
    const timeline = ok(await h.req('GET', `/api/leads/${lead.lead.id}/timeline`, { as: ADMIN }), 'timeline');
    expect(JSON.stringify(timeline)).toContain('企业微信通讯录：已离职');
  });

  it('a run waiting in review can be cancelled: nothing of it is applied, and a new sync may start', async () => {
    for (const id of ['rep5', 'rep6', 'rep7']) dir.members.get(id)!.status = 'disabled';
    const r = await sync();
    expect(r.status).toBe('review');
    const before = await orgRows();
    expect(ok(await h.req('POST', `/api/directory/sync/${r.id}/cancel`, { as: ADMIN }), 'cancel')).toMatchObject({ status: 'cancelled' });
    expect(await orgRows()).toBe(before);
    expect((await h.req('POST', `/api/directory/sync/${r.id}/apply`, { as: ADMIN })).status).toBe(409);
    for (const id of ['rep5', 'rep6', 'rep7']) dir.members.get(id)!.status = 'active';
  });

  const wecomEvent = (key: string, fields: Record<string, string>) =>
    h.app.platformEvents.wecom({ MsgType: 'event', Event: 'change_contact', ToUserName: 'ww-test', ...fields }, { dedupeKey: key });
  const events = () => directoryOf(h.app).eventWorker.tick();

  it('contact-change events: a member moved, a new member, a department renamed and moved in one event; a replay is ignored', async () => {
    dir.members.get('rep8')!.departmentIds = ['20'];
    dir.members.get('rep8')!.mainDepartmentId = '20';
    expect(await wecomEvent('e1', { ChangeType: 'update_user', UserID: 'rep8' })).toBe(true);
    dir.member('newbie', '新人', ['12']);
    await wecomEvent('e2', { ChangeType: 'create_user', UserID: 'newbie' });
    dir.departments.get('12')!.name = '小学一组';
    dir.departments.get('12')!.parentId = '20';
    await wecomEvent('e3', { ChangeType: 'update_party', Id: '12' });
    await wecomEvent('e1', { ChangeType: 'update_user', UserID: 'rep8' }); // replay
    expect(await h.count('directory_event', 'companyId = ?', [h.seed.companyId])).toBe(3);
    expect(await events()).toBe(3);
    expect((await user('rep8')).orgUnitId).toBe((await unit('20')).id);
    expect(await user('newbie')).toMatchObject({ name: '新人', orgUnitId: (await unit('12')).id });
    const moved = await unit('12');
    const wuxi = await unit('20');
    expect(moved).toMatchObject({ name: '小学一组', parentId: wuxi.id, path: `/${wuxi.id}/${moved.id}/` });
    const list = ok(await h.req('GET', '/api/directory/events', { as: ADMIN }), 'events') as any;
    expect(list.items.map((e: any) => e.state)).toEqual(['done', 'done', 'done']);
  });

  it('events out of order end in the current state: a leave then a stale modify leaves the member inactive, leads handed on', async () => {
    const leaver = await user('rep9');
    const lead = ok(
      await h.req('POST', '/api/leads', { as: ADMIN, body: { phone: '13955550002', channel: '抖音-202601直播', ownerId: leaver.id } }),
      'lead',
    ) as any;
    dir.members.delete('rep9');
    await wecomEvent('e4', { ChangeType: 'delete_user', UserID: 'rep9' });
    await wecomEvent('e5', { ChangeType: 'update_user', UserID: 'rep9' }); // arrives late, the member is already gone
    await events();
    expect(await user('rep9')).toMatchObject({ active: 0, inactiveBy: 'directory' });
    const [l] = await h.ds.query('SELECT ownerId FROM `lead` WHERE id = ?', [lead.lead.id]);
    expect(l.ownerId).not.toBe(leaver.id);
  });

  it('an event the platform cannot answer now is retried, then done; an event of an unbound corp is dropped', async () => {
    dir.members.get('rep10')!.name = '销售十';
    dir.failAt(1, MemoryDirectory.busy());
    await wecomEvent('e6', { ChangeType: 'update_user', UserID: 'rep10' });
    await events();
    const [ev] = await h.ds.query("SELECT state, attempts FROM directory_event WHERE externalId = 'rep10'");
    expect(ev).toMatchObject({ state: 'pending' });
    expect(Number(ev.attempts)).toBe(1);
    h.clock.advance(MIN);
    await events();
    expect((await user('rep10')).name).toBe('销售十');
    const n = await h.count('directory_event');
    await h.app.platformEvents.wecom(
      { MsgType: 'event', Event: 'change_contact', ToUserName: 'ww-unknown', ChangeType: 'create_user', UserID: 'x' },
      { dedupeKey: 'e7' },
    );
    expect(await h.count('directory_event')).toBe(n);
  });

  it('bad trees: a cycle and a member in an unknown department are listed as issues; the rest of the tree is applied intact', async () => {
    dir.dept('30', '31', '循环甲').dept('31', '30', '循环乙');
    dir.member('lost', '迷路', ['999', '20']); // listed in 无锡中心, also in a department the app cannot see
    const r = await sync();
    expect(r.status).toBe('applied');
    expect(r.issues.map((i: any) => i.code).sort()).toEqual(['cycle', 'unknown_department']);
    expect(await unit('30')).toBeUndefined();
    expect(await user('lost')).toMatchObject({ orgUnitId: (await unit('20')).id, active: 1 });
    expect((await unit('11')).deletedAt).toBeNull();
  });

  it('settings: depths checked together, a bad cron refused in Chinese, nothing saved; a good change is audited and scheduled', async () => {
    const before = await h.ds.query('SELECT settings FROM company WHERE id = ?', [h.seed.companyId]);
    const depths = await h.req('PUT', '/api/directory/settings', { as: ADMIN, body: { centreDepth: 2, teamDepth: 2 } });
    expect(depths.status).toBe(400);
    expect(depths.text).toMatch(/必须比中心/);
    const cron = await h.req('PUT', '/api/directory/settings', { as: ADMIN, body: { schedule: 'every night' } });
    expect(cron.status).toBe(400);
    expect(cron.text).toMatch(/cron/);
    expect(await h.ds.query('SELECT settings FROM company WHERE id = ?', [h.seed.companyId])).toEqual(before);
    const saved = ok(await h.req('PUT', '/api/directory/settings', { as: ADMIN, body: { schedule: '30 3 * * *', reviewDeactivateShare: 0.2 } }), 'save') as any;
    expect(saved.changed.sort()).toEqual(['reviewDeactivateShare', 'schedule']);
    expect(ok(await h.req('GET', '/api/directory/settings', { as: ADMIN }), 'get')).toMatchObject({
      settings: { schedule: '30 3 * * *', reviewDeactivateShare: 0.2 },
    });
    expect(await h.count('audit_log', "entity = 'company' AND field = 'directory.schedule'")).toBe(1);
    const scheduler = directoryOf(h.app).scheduler;
    expect(await scheduler.refresh()).toEqual([h.seed.companyId]);
    const id = await scheduler.fire(h.seed.companyId);
    expect(id).not.toBeNull();
    expect(await scheduler.fire(h.seed.companyId)).toBeNull(); // another process firing the same minute: skipped
    await worker().tick();
    expect(await run(id!)).toMatchObject({ status: 'applied', origin: 'schedule', requestedBy: null });
    await scheduler.stop();
  });

  it('deleting a unit that still owns open leads waits for review; applied, its leads move to the parent unit, the unit is soft-deleted', async () => {
    const team = await unit('12');
    const owner = await user('rep5');
    expect(owner.orgUnitId).toBe(team.id);
    const lead = ok(
      await h.req('POST', '/api/leads', { as: ADMIN, body: { phone: '13955550003', channel: '抖音-202601直播', ownerId: owner.id } }),
      'lead',
    ) as any;
    for (const m of dir.members.values()) if (m.departmentIds.includes('12')) m.departmentIds = m.departmentIds.map((d) => (d === '12' ? '20' : d));
    for (const m of dir.members.values()) if (m.mainDepartmentId === '12') m.mainDepartmentId = '20';
    dir.departments.delete('12');
    const r = await sync();
    expect(r.status).toBe('review');
    expect(r.diff.unitsDeleted).toEqual([{ id: team.id, name: team.name, openLeads: expect.any(Number) }]);
    expect(r.diff.review.join()).toMatch(/未结线索/);
    ok(await h.req('POST', `/api/directory/sync/${r.id}/apply`, { as: ADMIN }), 'apply');
    await worker().tick();
    expect((await run(r.id)).status).toBe('applied');
    expect((await unit('12')).deletedAt).not.toBeNull();
    const [l] = await h.ds.query('SELECT orgUnitId, ownerId FROM `lead` WHERE id = ?', [lead.lead.id]);
    expect(Number(l.orgUnitId)).toBe((await unit('20')).id);
    expect(Number(l.ownerId)).toBe(owner.id);
    expect(await h.count('`lead`', "orgUnitId = ? AND deletedAt IS NULL AND status IN ('pending','assigned','following')", [team.id])).toBe(0);
  });
});
