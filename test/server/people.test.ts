import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlarmEngine } from '../../server/src/alarms';
import { handOverLeaver } from '../../server/src/users/handover';
import { TransferWorker } from '../../server/src/users/transfer-worker';
import { describeEachDb, Harness, type Res } from '../support/harness';
import { busy, FakeTransfers } from '../support/fake-transfers';

const MIN = 60_000;
const H = 60 * MIN;
const ADMIN = '系统管理员';

/**
 * People administration (docs/people.md): leavers' leads handed on (queue and round robin, never to an inactive user,
 * alarms and reminders following the new owner, the reason in the timeline), WeCom customer transfers through an
 * in-memory client (batches of ≤100, a failed call retried, refusals listed), 在职继承, supervisors' limits, the user
 * list's filters and the data-health view.
 */
describeEachDb('people: leavers, transfers, user admin, data health', (kind) => {
  const h = new Harness(kind, 0);
  const fake = new FakeTransfers();
  let worker: TransferWorker;
  beforeAll(async () => {
    await h.start();
    h.app.platformOverrides = { transfers: () => fake };
    worker = new TransferWorker(h.app, { pollMs: H, backoffMs: MIN, maxAttempts: 3 });
  });
  afterAll(() => h.stop());

  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const id = async (name: string) => (await h.user(name)).id;
  let phone = 13900000000;
  /** A lead owned by `owner` (created by the admin, who may assign anyone). */
  const leadOf = async (owner: string, extra: Record<string, unknown> = {}) =>
    ok(
      await h.req('POST', '/api/leads', { as: ADMIN, body: { phone: String(++phone), channel: '抖音-202601直播', ownerId: await id(owner), ...extra } }),
      'lead',
    ).lead.id as number;
  const lead = async (leadId: number) => (await h.ds.query('SELECT ownerId, status, orgUnitId, claimedAt FROM `lead` WHERE id = ?', [leadId]))[0];
  const setDirectory = async (directory: object) => {
    const [c] = await h.ds.query('SELECT settings FROM company WHERE id = ?', [h.seed.companyId]);
    const settings = { ...JSON.parse(c.settings ?? '{}'), directory };
    await h.ds.query('UPDATE company SET settings = ? WHERE id = ?', [JSON.stringify(settings), h.seed.companyId]);
    h.app.actors.clear();
  };
  const deactivate = async (name: string) => h.req('PATCH', `/api/users/${await id(name)}`, { as: ADMIN, body: { active: false } });
  /** Open leads (pending, assigned, following) a user owns now, seeded ones included. */
  const openOf = async (name: string) =>
    h.count('`lead`', "ownerId = ? AND status IN ('pending','assigned','following') AND deletedAt IS NULL", [await id(name)]);
  const health = async () => ok(await h.req('GET', '/api/data-health', { as: '黄蓉' }), 'data health');
  const check = (body: any, key: string) => body.checks.find((c: any) => c.key === key);

  it("queue target: a leaver's open leads go to their unit's rotation queue, with the reason in each timeline and audit", async () => {
    await setDirectory({ leaverTarget: 'queue' });
    const leads = [await leadOf('刘洋'), await leadOf('刘洋'), await leadOf('刘洋')];
    ok(await h.req('POST', `/api/leads/${leads[1]}/claim`, { as: '刘洋' }), 'claim');
    const closed = await leadOf('刘洋');
    ok(await h.req('PATCH', `/api/leads/${closed}`, { as: '李静', body: { status: 'invalid' } }), 'close');
    const team = (await h.user('刘洋')).orgUnitId;

    const open = await openOf('刘洋');
    expect(open).toBeGreaterThanOrEqual(3);
    const off = ok(await deactivate('刘洋'), 'deactivate');
    expect(off).toMatchObject({ changed: ['active'], handover: { leads: open, transfersQueued: 0 } });
    expect(await openOf('刘洋')).toBe(0);
    for (const l of leads) expect(await lead(l)).toMatchObject({ ownerId: null, status: 'pending', orgUnitId: team, claimedAt: null });
    expect((await lead(closed)).ownerId).toBe(await id('刘洋')); // a closed lead keeps its history
    const [marks] = await h.ds.query('SELECT inactiveBy, leftAt FROM app_user WHERE id = ?', [await id('刘洋')]);
    expect(marks.inactiveBy).toBe('admin');
    expect(Number(marks.leftAt)).toBe(h.clock.now());

    const queue = ok(await h.req('GET', '/api/routing/queue', { as: '李静' }), 'queue');
    const queued = queue.items.filter((i: any) => leads.includes(i.leadId));
    expect(queued.map((i: any) => i.leadId).sort()).toEqual([...leads].sort());
    expect(queued[0].pool.name).toBe('苏州园区中心-中考组');
    const timeline = ok(await h.req('GET', `/api/leads/${leads[0]}/timeline`, { as: '李静' }), 'timeline');
    expect(JSON.stringify(timeline)).toContain('进入轮转队列，待主管分配（管理员停用）');
    expect(await h.count('audit_log', "entity = 'lead' AND field = 'moveReason' AND entityId IN (?, ?, ?)", leads)).toBe(3);

    // The supervisor assigns one from the queue; it leaves the queue.
    ok(await h.req('POST', `/api/routing/queue/${leads[0]}/assign`, { as: '李静', body: { ownerId: await id('张敏') } }), 'assign');
    const after = ok(await h.req('GET', '/api/routing/queue', { as: '李静' }), 'queue');
    expect(after.items.filter((i: any) => leads.includes(i.leadId))).toHaveLength(2);
    expect(check(await health(), 'leadsOwnedByInactiveUsers')).toMatchObject({ count: 0, status: 'ok' });
  });

  it('round robin: leads go to the next active members of the pool, never to the leaver or an inactive member', async () => {
    await setDirectory({ leaverTarget: 'round_robin' });
    const pools = ok(await h.req('GET', '/api/routing/pools', { as: ADMIN }), 'pools').items;
    const nj = pools.find((p: any) => p.name === '南京鼓楼中心-综合组');
    const members = ['周杰', '吴昊', '郑爽', '钱多多', '孙悦'];
    ok(
      await h.req('PUT', `/api/routing/pools/${nj.id}`, {
        as: ADMIN,
        body: { name: nj.name, orgUnitId: nj.orgUnitId, members: await Promise.all(members.map(async (n) => ({ userId: await id(n), weight: 1 }))) },
      }),
      'pool',
    );
    const leads: number[] = [];
    for (let i = 0; i < 6; i++) leads.push(await leadOf('吴昊'));
    const open = await openOf('吴昊');
    const off = ok(await deactivate('吴昊'), 'deactivate');
    expect(off.handover.leads).toBe(open);
    const owners = await Promise.all(leads.map(async (l) => (await lead(l)).ownerId));
    const allowed = await Promise.all(['周杰', '郑爽', '孙悦'].map(id));
    expect(owners.every((o) => allowed.includes(o))).toBe(true);
    expect(new Set(owners).size).toBe(3); // spread by the round robin, not all to one
    for (const l of leads) expect((await lead(l)).status).toBe('assigned');
    const decisions = await h.ds.query(`SELECT outcome, reasons FROM routing_decision WHERE leadId = ? AND kind = 'manual'`, [leads[0]]);
    expect(decisions).toHaveLength(1);
    expect(JSON.parse(decisions[0].reasons)).toMatchObject({ rule: '管理员停用', note: expect.stringContaining('南京鼓楼中心-综合组') });
    const timeline = JSON.stringify(ok(await h.req('GET', `/api/leads/${leads[0]}`, { as: ADMIN }), 'lead').timeline);
    expect(timeline).toMatch(/分配给 (周杰|郑爽|孙悦)（管理员停用）/);
    expect(check(await health(), 'leadsOwnedByInactiveUsers').count).toBe(0);
  });

  it('round robin with nobody eligible (everyone else inactive) falls back to the queue', async () => {
    const xx = ok(await h.req('GET', '/api/routing/pools', { as: ADMIN }), 'pools').items.find((p: any) => p.name === '苏州园区中心-小学组');
    expect(xx.members.map((m: any) => m.name).sort()).toEqual(['孙悦', '赵丽'].sort());
    const l = await leadOf('赵丽');
    const busyRep = await leadOf('孙悦');
    ok(await deactivate('孙悦'), 'deactivate 孙悦'); // 孙悦's lead goes to 赵丽, the only one left
    expect((await lead(busyRep)).ownerId).toBe(await id('赵丽'));
    const open = await openOf('赵丽');
    const off = ok(await deactivate('赵丽'), 'deactivate 赵丽');
    expect(off.handover.leads).toBe(open);
    expect(await openOf('赵丽')).toBe(0);
    expect(await lead(l)).toMatchObject({ ownerId: null, status: 'pending' });
    expect(await lead(busyRep)).toMatchObject({ ownerId: null, status: 'pending' });
    expect(check(await health(), 'leadsOwnedByInactiveUsers').count).toBe(0);
  });

  it('alarms and reminders follow the new owner: the next-step reminder goes to them, the leaver gets nothing', async () => {
    const engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
    const l = await leadOf('周杰');
    const at = new Date(h.clock.now() + 3 * H).toISOString();
    ok(
      await h.req('POST', '/api/followups', {
        as: '周杰',
        headers: { 'idempotency-key': `people-${kind}-next` },
        body: { leadId: l, action: '已电话沟通', nextStep: { at, action: '发送试听安排' } },
      }),
      'follow-up',
    );
    const off = ok(await deactivate('周杰'), 'deactivate');
    expect(off.handover.leads).toBeGreaterThanOrEqual(1);
    const to = (await lead(l)).ownerId;
    expect(to).not.toBe(await id('周杰'));
    expect(await h.ds.query(`SELECT state FROM alarm_timer WHERE leadId = ? AND rule = 'next_step'`, [l])).toEqual([{ state: 'pending' }]);
    h.clock.advance(3 * H);
    try {
      await engine.tick();
      const msgs = await h.ds.query(
        `SELECT m.recipientId, a.rule FROM alarm_message m JOIN alarm a ON a.id = m.alarmId WHERE a.leadId = ? ORDER BY a.rule, m.recipientId`,
        [l],
      );
      const nextStep = msgs.filter((m: any) => m.rule === 'next_step').map((m: any) => Number(m.recipientId));
      expect(nextStep).toEqual([to]);
      expect(msgs.map((m: any) => Number(m.recipientId))).not.toContain(await id('周杰'));
    } finally {
      h.clock.advance(-3 * H);
    }
  });

  it('a sync-style hand-over (no actor) records the reason in the timeline and audit as the system', async () => {
    await setDirectory({ leaverTarget: 'queue' });
    const l = await leadOf('郑爽');
    const uid = await id('郑爽');
    await h.app.tx.run(async (em) => {
      await em.query('UPDATE app_user SET active = 0, inactiveBy = ? WHERE id = ?', ['directory', uid]);
      const r = await handOverLeaver(em, h.app, {
        companyId: h.seed.companyId,
        userId: uid,
        actorId: null,
        reason: '企业微信通讯录：已离职',
        at: h.clock.now(),
      });
      expect(r.leads).toBeGreaterThanOrEqual(1);
    });
    await h.settle();
    expect((await lead(l)).ownerId).toBeNull();
    const [a] = await h.ds.query("SELECT actorId, after FROM audit_log WHERE entity = 'lead' AND entityId = ? AND field = 'moveReason'", [l]);
    expect(a.actorId).toBeNull();
    const timeline = JSON.stringify(ok(await h.req('GET', `/api/leads/${l}`, { as: ADMIN }), 'lead').timeline);
    expect(timeline).toContain('企业微信通讯录：已离职');
  });

  it('platform ids: set by the admin, unique per company (409 naming who has it), searchable', async () => {
    ok(await h.req('PATCH', `/api/users/${await id('张敏')}`, { as: ADMIN, body: { wecomUserId: 'zhangmin', dingtalkUserId: 'dt-zhangmin' } }), 'set');
    const dup = await h.req('PATCH', `/api/users/${await id('陈晨')}`, { as: ADMIN, body: { wecomUserId: 'zhangmin' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toContain('已绑定给张敏');
    const bad = await h.req('PATCH', `/api/users/${await id('陈晨')}`, { as: ADMIN, body: { wecomUserId: 'zhang min' } });
    expect(bad.status).toBe(400);
    const found = ok(await h.req('GET', '/api/users?q=zhangm', { as: ADMIN }), 'search');
    expect(found.items.map((u: any) => u.name)).toEqual(['张敏']);
    expect(found.items[0]).toMatchObject({ wecomUserId: 'zhangmin', dingtalkUserId: 'dt-zhangmin' });
    expect(await h.count('audit_log', "entity = 'app_user' AND entityId = ? AND field IN ('wecomUserId', 'dingtalkUserId')", [await id('张敏')])).toBe(2);
  });

  it('离职继承: 250 contacts → 3 calls of ≤100, a failed call retried, per-contact errors and refusals listed, retry re-sends', async () => {
    await setDirectory({ leaverTarget: 'queue' });
    ok(await h.req('PATCH', `/api/users/${await id('陈晨')}`, { as: ADMIN, body: { wecomUserId: 'chenchen' } }), 'chenchen');
    ok(await h.req('PATCH', `/api/users/${await id('李静')}`, { as: ADMIN, body: { wecomUserId: 'lijing' } }), 'lijing');
    const contacts = Array.from({ length: 250 }, (_, i) => `wmCC${String(i).padStart(4, '0')}`);
    fake.unassigned = [
      { handoverUserId: 'someone-else', externalUserId: 'wmOther' },
      ...contacts.map((externalUserId) => ({ handoverUserId: 'ChenChen', externalUserId })),
    ];
    fake.errcodes.set(contacts[5], 40096);
    fake.calls.length = 0;

    const off = ok(await deactivate('陈晨'), 'deactivate');
    expect(off.handover.transfersQueued).toBe(1);
    // The second call fails once (system busy): its 100 contacts wait for a retry.
    const realTransfer = fake.transferResigned.bind(fake);
    let n = 0;
    fake.transferResigned = async (from, to, ids) => {
      n++;
      if (n === 2) {
        fake.calls.push({ kind: 'resigned', from, to, ids: [...ids] });
        throw busy();
      }
      return realTransfer(from, to, ids);
    };
    const first = await worker.tick();
    expect(first.listed).toBe(250);
    expect(fake.calls.map((c) => c.ids.length)).toEqual([100, 100, 50]);
    expect(fake.calls.every((c) => c.from === 'chenchen' && c.to === 'lijing' && c.kind === 'resigned')).toBe(true);
    const counts = async () =>
      Object.fromEntries(
        (
          await h.ds.query('SELECT status, COUNT(*) AS n FROM customer_transfer WHERE handoverUserId = ? AND externalUserId IS NOT NULL GROUP BY status', [
            await id('陈晨'),
          ])
        ).map((r: any) => [r.status, Number(r.n)]),
      );
    expect(await counts()).toEqual({ sent: 149, queued: 100, failed: 1 });

    h.clock.advance(MIN); // the backoff of the failed call
    await worker.tick();
    expect(fake.calls.map((c) => c.ids.length)).toEqual([100, 100, 50, 100]);
    expect(await counts()).toEqual({ sent: 249, failed: 1 });

    // Results: most done, two refused by the customer, one waiting.
    for (const c of contacts) fake.results.set(c, 1);
    fake.results.set(contacts[10], 3);
    fake.results.set(contacts[11], 4);
    fake.results.set(contacts[12], 2);
    h.clock.advance(H);
    await worker.tick();
    expect(await counts()).toEqual({ done: 246, failed: 3, waiting: 1 });

    const failed = ok(await h.req('GET', '/api/users/transfers?status=failed', { as: ADMIN }), 'failed list');
    expect(failed.total).toBe(3);
    const byId = Object.fromEntries(failed.items.map((i: any) => [i.externalUserId, i]));
    expect(byId[contacts[5]]).toMatchObject({
      errcode: 40096,
      error: expect.stringContaining('外部联系人 ID 无效'),
      handover: { name: '陈晨' },
      takeover: { name: '李静' },
    });
    expect(byId[contacts[10]].error).toBe('客户拒绝转接');
    expect(byId[contacts[11]].error).toBe('接替成员的客户数已达上限');
    expect(check(await health(), 'failedCustomerTransfers')).toMatchObject({ count: 3, status: 'warning' });
    expect((await h.req('GET', '/api/users/transfers?status=failed', { as: '黄蓉' })).status).toBe(403);

    // The admin retries the refused one to another takeover; it is sent again on the next tick.
    const retried = ok(
      await h.req('POST', '/api/users/transfers/retry', { as: ADMIN, body: { ids: [byId[contacts[10]].id], takeoverUserId: await id('张敏') } }),
      'retry',
    );
    expect(retried.retried).toBe(1);
    fake.results.set(contacts[10], 1);
    await worker.tick();
    expect(fake.calls.at(-1)).toMatchObject({ to: 'zhangmin', ids: [contacts[10]] });
    expect(await h.count('audit_log', "entity = 'customer_transfer' AND entityId = ?", [byId[contacts[10]].id])).toBe(2);
    const notFailed = await h.req('POST', '/api/users/transfers/retry', { as: ADMIN, body: { ids: [byId[contacts[10]].id] } });
    expect(notFailed.status).toBe(400);
    fake.transferResigned = realTransfer;
  });

  it('在职继承: an admin moves a rep’s open leads and WeCom customers to another rep', async () => {
    const from = await id('张敏');
    const to = await id('王强');
    const mine = [await leadOf('张敏'), await leadOf('张敏')];
    fake.customers.set('zhangmin', ['wmZM1', 'wmZM2', 'wmZM3']);
    const notTheirs = await h.req('POST', `/api/users/${from}/reassign`, { as: ADMIN, body: { toUserId: to, leads: [mine[0], 999999] } });
    expect(notTheirs.status).toBe(400);
    expect((await h.req('POST', `/api/users/${from}/reassign`, { as: '李静', body: { toUserId: to, leads: 'all' } })).status).toBe(403);
    const noWecom = await h.req('POST', `/api/users/${from}/reassign`, {
      as: ADMIN,
      body: { toUserId: to, leads: [mine[0]], customers: true, reason: '调岗' },
    });
    expect(noWecom.status).toBe(200);
    expect(noWecom.body).toMatchObject({ moved: 1, transfersQueued: 1 });
    expect((await lead(mine[0])).ownerId).toBe(to);
    const timeline = JSON.stringify(ok(await h.req('GET', `/api/leads/${mine[0]}`, { as: ADMIN }), 'lead').timeline);
    expect(timeline).toContain('分配给 王强（调岗）');
    const [row] = await h.ds.query("SELECT status, takeoverPlatformId FROM customer_transfer WHERE kind = 'on_job' AND handoverUserId = ?", [from]);
    expect(row).toMatchObject({ status: 'failed', takeoverPlatformId: '' }); // 王强 has no WeCom id: listed for the admin
    ok(await h.req('PATCH', `/api/users/${to}`, { as: ADMIN, body: { wecomUserId: 'wangqiang' } }), 'wecom id');
    ok(await h.req('POST', '/api/users/transfers/retry', { as: ADMIN, body: {} }), 'retry all');
    fake.calls.length = 0;
    await worker.tick();
    expect(fake.calls.filter((c) => c.kind === 'on_job')).toEqual([{ kind: 'on_job', from: 'zhangmin', to: 'wangqiang', ids: ['wmZM1', 'wmZM2', 'wmZM3'] }]);
    const all = ok(await h.req('POST', `/api/users/${from}/reassign`, { as: ADMIN, body: { toUserId: to, leads: 'all' } }), 'all');
    expect(all.moved).toBeGreaterThanOrEqual(1);
    expect((await lead(mine[1])).ownerId).toBe(to);
  });

  it('supervisors: routing cap and shifts of their own reps only; nothing else; details of their subtree only', async () => {
    const zhang = await id('张敏');
    const r = await h.req('PATCH', `/api/users/${zhang}`, {
      as: '李静',
      body: { routing: { cap: 12, shifts: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' }] } },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.changed.sort()).toEqual(['routing.cap', 'routing.shifts']);
    const detail = ok(await h.req('GET', `/api/users/${zhang}`, { as: '李静' }), 'detail');
    expect(detail.pools.every((p: any) => p.cap === 12 && p.shifts.length === 1)).toBe(true);
    expect(await h.count('audit_log', "entity = 'routing_pool_member' AND actorId = ?", [await id('李静')])).toBeGreaterThanOrEqual(2);
    // One pool only, by poolId.
    const pool = detail.pools[0].poolId;
    ok(await h.req('PATCH', `/api/users/${zhang}`, { as: ADMIN, body: { routing: { poolId: pool, cap: null } } }), 'one pool');
    const again = ok(await h.req('GET', `/api/users/${zhang}`, { as: ADMIN }), 'detail');
    expect(again.pools.find((p: any) => p.poolId === pool).cap).toBeNull();
    expect(again.pools.filter((p: any) => p.poolId !== pool).every((p: any) => p.cap === 12)).toBe(true);

    const other = await id('郑爽'); // 南京: not 李静's
    expect((await h.req('PATCH', `/api/users/${other}`, { as: '李静', body: { routing: { cap: 1 } } })).status).toBe(404);
    expect((await h.req('GET', `/api/users/${other}`, { as: '李静' })).status).toBe(404);
    const deny = await h.req('PATCH', `/api/users/${zhang}`, { as: '李静', body: { active: false } });
    expect(deny.status).toBe(403);
    expect((await h.req('PATCH', `/api/users/${zhang}`, { as: '李静', body: { role: 'supervisor' } })).status).toBe(403);
    expect((await h.req('PATCH', `/api/users/${await id('李静')}`, { as: '李静', body: { routing: { cap: 99 } } })).status).toBe(403);
    expect((await h.req('PATCH', `/api/users/${zhang}`, { as: '张敏', body: { routing: { cap: 99 } } })).status).toBe(403);
    const noPool = await h.req('PATCH', `/api/users/${await id('黄蓉')}`, { as: ADMIN, body: { routing: { cap: 3 } } });
    expect(noPool.status).toBe(400);
    expect(noPool.body.error.message).toContain('不在任何线索池');
  });

  it('the user list: search, role, unit subtree, active, paging; scoped for supervisors and reps', async () => {
    const list = async (qs: string, as = ADMIN) => ok(await h.req('GET', `/api/users?${qs}`, { as }), qs);
    expect((await list('q=张')).items.map((u: any) => u.name)).toEqual(['张敏']);
    expect((await list('role=supervisor')).items.map((u: any) => u.name).sort()).toEqual(['李静', '王强'].sort());
    const units = ok(await h.req('GET', '/api/org-units', { as: ADMIN }), 'units').items;
    const sz = units.find((u: any) => u.name === '苏州园区中心');
    const inSz = (await list(`orgUnitId=${sz.id}&role=rep`)).items.map((u: any) => u.name).sort();
    expect(inSz).toEqual(['刘洋', '孙悦', '张敏', '赵丽', '陈晨'].sort());
    const inactive = (await list('active=false')).items.map((u: any) => u.name).sort();
    expect(inactive).toEqual(expect.arrayContaining(['钱多多', '刘洋', '吴昊']));
    expect(inactive).not.toContain('李静');
    const page = await list('pageSize=3&page=2');
    expect(page).toMatchObject({ page: 2, pageSize: 3, total: expect.any(Number) });
    expect(page.items).toHaveLength(3);
    const sup = await list('role=rep', '李静');
    expect(sup.items.map((u: any) => u.name)).not.toContain('周杰');
    expect(sup.items[0]).toHaveProperty('wecomUserId');
    const nj = units.find((u: any) => u.name === '南京鼓楼中心');
    expect((await h.req('GET', `/api/users?orgUnitId=${nj.id}`, { as: '李静' })).status).toBe(404);
    const rep = await list('', '张敏');
    expect(rep.items.map((u: any) => u.name)).toEqual(['张敏']);
    expect(rep.items[0]).not.toHaveProperty('wecomUserId');
    expect((await h.req('GET', '/api/users?role=boss', { as: ADMIN })).status).toBe(400);
  });

  it('data health: a lead left on an inactive user is found (count + sample id); reassigning it brings the count back to 0', async () => {
    const l = await leadOf('王强');
    await h.ds.query('UPDATE app_user SET active = 0 WHERE id = ?', [await id('王强')]); // behind the API's back
    const bad = check(await health(), 'leadsOwnedByInactiveUsers');
    expect(bad).toMatchObject({ status: 'error', sampleIds: expect.arrayContaining([l]) });
    expect(bad.count).toBeGreaterThanOrEqual(1);
    ok(await h.req('POST', `/api/users/${await id('王强')}/reassign`, { as: ADMIN, body: { toUserId: await id('李静'), leads: 'all' } }), 'fix');
    expect(check(await health(), 'leadsOwnedByInactiveUsers')).toMatchObject({ count: 0, sampleIds: [], status: 'ok' });
    const none = await h.req('POST', `/api/users/${await id('陈晨')}/reassign`, { as: ADMIN, body: { toUserId: await id('王强'), leads: 'all' } });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toContain('已停用');
    expect((await h.req('GET', '/api/data-health', { as: '李静' })).status).toBe(403);
  });
});
