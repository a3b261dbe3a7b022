import { afterAll, beforeAll, expect, it } from 'vitest';
import { compareTodo } from '@lifeline/shared';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';

const H = 3600_000;

describeEachDb('我的待办 (GET /api/todo)', (kind) => {
  const h = new Harness(kind, 0);
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    await h.start();
    const create = async (key: string, phone: string, grade: string, hoursAgo: number, owner = '张敏', claim = true) => {
      h.clock.set(TEST_NOW - hoursAgo * H);
      const ownerId = (await h.user(owner)).id;
      const r = await h.req('POST', '/api/leads', { as: '李静', body: { phone, channel: '抖音-202601直播', name: `${key}家长`, grade, ownerId } });
      expect(r.status, r.text).toBe(201);
      ids[key] = r.body.lead.id;
      if (claim) expect((await h.req('POST', `/api/leads/${ids[key]}/claim`, { as: owner })).status).toBe(200);
    };
    const follow = async (key: string, nextAt: number) => {
      const r = await h.req('POST', '/api/followups', {
        as: '张敏',
        headers: { 'idempotency-key': `todo-key-${ids[key]}` },
        body: { leadId: ids[key], action: '已电话沟通', conclusion: '约好再聊', nextStep: { at: new Date(nextAt).toISOString(), action: '发试听安排' } },
      });
      expect(r.status, r.text).toBe(201);
    };
    await create('未认领', '13700000001', '初二', 0, '张敏', false);
    await create('超48', '13700000002', '初二', 50);
    await create('初三', '13700000003', '初三', 37);
    await create('今天', '13700000004', '初一', 3);
    await create('明天', '13700000005', '初一', 3);
    await create('陈晨的', '13700000006', '初二', 50, '陈晨');
    h.clock.set(TEST_NOW - 2 * H);
    await follow('今天', TEST_NOW + 5 * H); // 15:00 today
    await follow('明天', TEST_NOW + 24 * H);
    h.clock.set(TEST_NOW);
  });
  afterAll(() => h.stop());

  it('a rep sees her open leads that need action now, each with why and how long, most urgent first', async () => {
    const r = await h.req('GET', '/api/todo', { as: '张敏' });
    expect(r.status).toBe(200);
    const byName = Object.fromEntries(r.body.items.map((i: any) => [i.customerName, i]));
    // The demo seed's own leads of 张敏 are on it too; of this test's, exactly these four.
    const ours = r.body.items.filter((i: any) => Object.values(ids).includes(i.leadId)).map((i: any) => i.customerName);
    expect(ours.sort()).toEqual(['今天家长', '初三家长', '未认领家长', '超48家长'].sort());
    expect(byName['未认领家长']).toMatchObject({ reason: 'unclaimed', label: '待认领 · 剩 30 分钟', overdue: false, claimable: true });
    expect(byName['超48家长']).toMatchObject({ reason: 'no_followup', label: '首次跟进 · 已超时 2 小时', overdue: true, claimable: false });
    // 初三: the 36 h warning replaces the 48 h line.
    expect(byName['初三家长']).toMatchObject({ reason: 'high_risk', label: '初三36小时预警 · 已超时 1 小时', overdue: true });
    expect(byName['初三家长'].reasons.map((x: any) => x.reason)).toEqual(['high_risk']);
    expect(byName['今天家长']).toMatchObject({ reason: 'next_step', label: '约定的下一步 · 剩 5 小时', nextStepAction: '发试听安排' });
    // Deadline × score: the server's order is the shared rule's order.
    const order = [...r.body.items].sort((a: any, b: any) => compareTodo(a, b)).map((i: any) => i.leadId);
    expect(r.body.items.map((i: any) => i.leadId)).toEqual(order);
    expect(r.body.total).toBe(r.body.items.length);
    expect(r.body.overdue).toBe(r.body.items.filter((i: any) => i.overdue).length);
    // A rep sees her customers' numbers in full (she calls them); the row carries what the form needs.
    expect(byName['今天家长']).toMatchObject({ phone: '13700000004', grade: '初一', ownerName: '张敏' });
  });

  it('a lead leaves the list once handled: claimed, followed up, or its next step moved to another day', async () => {
    expect((await h.req('POST', `/api/leads/${ids['未认领']}/claim`, { as: '张敏' })).status).toBe(200);
    const after = await h.req('GET', '/api/todo', { as: '张敏' });
    const claimed = after.body.items.find((i: any) => i.leadId === ids['未认领']);
    expect(claimed).toMatchObject({ reason: 'no_followup', claimable: false });
    const f = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'idempotency-key': 'todo-handled-1' },
      body: { leadId: ids['超48'], action: '已电话沟通', conclusion: '已联系' },
    });
    expect(f.status).toBe(201);
    const left = await h.req('GET', '/api/todo', { as: '张敏' });
    expect(left.body.items.map((i: any) => i.leadId)).not.toContain(ids['超48']);
  });

  it('supervisors see their team (or one rep); an alarm digest opens it filtered to its leads; limit=0 is the badge count', async () => {
    const team = await h.req('GET', '/api/todo', { as: '李静' });
    expect(team.status).toBe(200);
    const owners = new Set(team.body.items.map((i: any) => i.ownerName));
    expect(owners.has('张敏') && owners.has('陈晨')).toBe(true);
    expect(owners.has('王强')).toBe(false);
    // Only her subtree: every owner is one of the people she manages.
    const mine = new Set((await h.req('GET', '/api/users', { as: '李静' })).body.items.map((u: any) => u.name));
    for (const o of owners) expect(mine.has(o)).toBe(true);
    expect(team.body.items.every((i: any) => i.claimable === false)).toBe(true);
    const chen = (await h.user('陈晨')).id;
    const one = await h.req('GET', `/api/todo?repId=${chen}`, { as: '李静' });
    expect(one.body.items.map((i: any) => i.customerName)).toContain('陈晨的家长');
    expect(one.body.items.every((i: any) => i.ownerId === chen)).toBe(true);
    const digest = await h.req('GET', `/api/todo?leadIds=${ids['初三']},${ids['今天']},${ids['明天']}`, { as: '张敏' });
    expect(digest.body.items.map((i: any) => i.leadId).sort()).toEqual([ids['初三'], ids['今天']].sort());
    const badge = await h.req('GET', '/api/todo?limit=0', { as: '张敏' });
    expect(badge.body.items).toEqual([]);
    expect(badge.body.total).toBe((await h.req('GET', '/api/todo', { as: '张敏' })).body.items.length);
  });

  it('a row opens the form with the customer loaded by lead, no phone typed (masked for roles that do not see phones)', async () => {
    const rep = await h.req('GET', `/api/customers/lookup?leadId=${ids['今天']}`, { as: '张敏' });
    expect(rep.status).toBe(200);
    expect(rep.body).toMatchObject({ valid: true, normalized: '13700000004', customer: { visible: true, name: '今天家长' } });
    expect(rep.body.customer.leads[0].id).toBe(ids['今天']);
    const sup = await h.req('GET', `/api/customers/lookup?leadId=${ids['今天']}`, { as: '李静' });
    expect(sup.body.normalized).toBe('137****0004');
    expect(sup.body.customer.phone).not.toContain('13700000004');
    expect((await h.req('GET', `/api/customers/lookup?leadId=${ids['陈晨的']}`, { as: '张敏' })).status).toBe(404);
    const both = await h.req('GET', `/api/customers/lookup?leadId=1&phone=13700000004`, { as: '张敏' });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toContain('二选一');
  });

  it('bad or foreign filters get a clear error and reveal nothing', async () => {
    const chen = (await h.user('陈晨')).id;
    const asRep = await h.req('GET', `/api/todo?repId=${chen}`, { as: '张敏' });
    expect(asRep.status).toBe(403);
    expect(asRep.body.error.message).toBe('顾问只能查看自己的待办');
    const wang = (await h.user('王强')).id; // another centre's supervisor: outside 李静's subtree
    expect((await h.req('GET', `/api/todo?repId=${wang}`, { as: '李静' })).status).toBe(403);
    const none = await h.req('GET', '/api/todo?repId=999999', { as: '黄蓉' });
    expect(none.status).toBe(404);
    expect(none.body.error.message).toBe('顾问不存在（ID 999999）');
    const bad = await h.req('GET', '/api/todo?leadIds=1;2', { as: '张敏' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('逗号分隔');
    expect((await h.req('GET', '/api/todo?limit=9999', { as: '张敏' })).status).toBe(400);
  });
});
