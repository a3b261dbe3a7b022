import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';

const HOUR = 3600_000;

describeEachDb('leads: create, attach, list, update, soft delete', (kind) => {
  const h = new Harness(kind);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('a new phone creates customer and lead, city filled from 号段归属地', async () => {
    const r = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: '+86 138-1454-0001', name: '钱妈妈', grade: '初三', concerns: ['升学政策'], channel: '抖音-202601直播' },
    });
    expect(r.status).toBe(201);
    expect(r.body.customerCreated).toBe(true);
    expect(r.body.lead.customer).toMatchObject({ phone: '13814540001', province: '江苏', city: '南京', carrier: '中国移动', name: '钱妈妈' });
    expect(r.body.lead).toMatchObject({
      ownerName: '张敏',
      status: 'assigned',
      journeyNode: '线索获取',
      score: 75,
      scoreLevel: 'A',
      scoreExplained: '初三 +30, 抖音直播 +20, 升学政策 +25',
      claimedAt: TEST_NOW,
    });
    const audit = await h.req('GET', `/api/leads/${r.body.lead.id}/audit`, { as: '张敏' });
    const created = audit.body.items
      .filter((a: any) => a.action === 'create')
      .map((a: any) => a.entity)
      .sort();
    expect(created).toEqual(['customer', 'lead']);
  });

  it('the same phone in another format attaches to the existing customer, never a duplicate', async () => {
    const before = await h.count('customer');
    const r = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: '１３８ １４５４ ０００１', channel: '公众号-寒假讲座推文', concerns: ['学科提分'] },
    });
    expect(r.status).toBe(201);
    expect(r.body.attachedToExisting).toBe(true);
    expect(await h.count('customer')).toBe(before);
    // Blank fields are filled, existing ones kept; concerns merge.
    expect(r.body.lead.customer).toMatchObject({ name: '钱妈妈', grade: '初三', concerns: ['升学政策', '学科提分'] });
    expect(await h.count('lead', 'customerId = ?', [r.body.lead.customerId])).toBe(2);
  });

  it('concurrent intake of one new phone yields exactly one customer', async () => {
    const phone = '13915449999';
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => h.req('POST', '/api/leads', { as: '张敏', body: { phone, channel: `渠道${i}` } })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(await h.count('customer', 'phone = ?', [phone])).toBe(1);
    expect(await h.count('lead l JOIN customer c ON c.id = l.customerId', 'c.phone = ?', [phone])).toBe(8);
    expect(results.filter((r) => r.body.customerCreated)).toHaveLength(1);
  });

  it('lists with filters and pagination', async () => {
    const all = await h.req('GET', '/api/leads?pageSize=100', { as: '黄蓉' });
    const total = all.body.total;
    const p1 = await h.req('GET', '/api/leads?page=1&pageSize=5', { as: '黄蓉' });
    const p2 = await h.req('GET', '/api/leads?page=2&pageSize=5', { as: '黄蓉' });
    expect(p1.body.items).toHaveLength(5);
    expect(p1.body.total).toBe(total);
    expect(new Set([...p1.body.items, ...p2.body.items].map((l: any) => l.id)).size).toBe(10);

    const overdue = await h.req('GET', '/api/leads?overdue=true&pageSize=100', { as: '黄蓉' });
    expect(overdue.body.total).toBeGreaterThan(0);
    for (const l of overdue.body.items) {
      expect(l.overdue).toBe(true);
      expect(l.firstFollowupAt).toBeNull();
      expect(TEST_NOW - l.createdAt).toBeGreaterThanOrEqual(48 * HOUR);
    }
    const notOverdue = await h.req('GET', '/api/leads?overdue=false&pageSize=100', { as: '黄蓉' });
    expect(notOverdue.body.total + overdue.body.total).toBe(total);

    const nj = await h.req('GET', `/api/leads?city=${encodeURIComponent('南京')}&pageSize=100`, { as: '黄蓉' });
    expect(nj.body.items.every((l: any) => l.customer.city === '南京')).toBe(true);
    const g = await h.req('GET', `/api/leads?grade=${encodeURIComponent('初三')}&pageSize=100`, { as: '黄蓉' });
    expect(g.body.total).toBeGreaterThan(0);
    expect(g.body.items.every((l: any) => l.customer.grade === '初三')).toBe(true);
    const ch = await h.req('GET', `/api/leads?channel=${encodeURIComponent('抖音-202601直播')}&pageSize=100`, { as: '黄蓉' });
    expect(ch.body.items.every((l: any) => l.channel === '抖音-202601直播')).toBe(true);
    const node = await h.req('GET', `/api/leads?node=${encodeURIComponent('试听体验')}&pageSize=100`, { as: '黄蓉' });
    expect(node.body.items.every((l: any) => l.journeyNode === '试听体验')).toBe(true);
    const zhang = await h.user('张敏');
    const mine = await h.req('GET', `/api/leads?owner=${zhang.id}&status=assigned&pageSize=100`, { as: '黄蓉' });
    expect(mine.body.items.every((l: any) => l.ownerId === zhang.id && l.status === 'assigned')).toBe(true);
  });

  it('updates customer fields and rescores, auditing before and after', async () => {
    const created = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915440002', channel: '百度-品牌词', grade: '初一' } });
    const id = created.body.lead.id;
    expect(created.body.lead.score).toBe(0);
    const r = await h.req('PATCH', `/api/leads/${id}`, { as: '张敏', body: { grade: '初三', concerns: ['升学政策'], name: '周妈妈' } });
    expect(r.status).toBe(200);
    expect(r.body.lead.score).toBe(55);
    expect(r.body.lead.customer).toMatchObject({ grade: '初三', name: '周妈妈' });
    const audit = (await h.req('GET', `/api/leads/${id}/audit`, { as: '张敏' })).body.items;
    const grade = audit.find((a: any) => a.entity === 'customer' && a.field === 'grade');
    expect(grade).toMatchObject({ action: 'update', before: '初一', after: '初三', actorId: (await h.user('张敏')).id });
    const score = audit.find((a: any) => a.entity === 'lead' && a.field === 'score');
    expect(score).toMatchObject({ before: 0, after: 55 });
    // A no-op update writes no audit rows.
    const n = await h.count('audit_log');
    await h.req('PATCH', `/api/leads/${id}`, { as: '张敏', body: { grade: '初三' } });
    expect(await h.count('audit_log')).toBe(n);
  });

  it('the owner claims an assigned lead once; others cannot', async () => {
    const zhang = await h.user('张敏');
    const made = await h.req('POST', '/api/leads', { as: '李静', body: { phone: '13915440005', channel: '百度-品牌词', ownerId: zhang.id } });
    const id = made.body.lead.id;
    expect(made.body.lead.claimedAt).toBeNull();
    expect((await h.req('POST', `/api/leads/${id}/claim`, { as: '李静' })).status).toBe(403);
    h.clock.advance(5 * 60_000);
    const c = await h.req('POST', `/api/leads/${id}/claim`, { as: '张敏' });
    expect(c.body).toEqual({ id, claimedAt: TEST_NOW + 5 * 60_000, alreadyClaimed: false });
    const again = await h.req('POST', `/api/leads/${id}/claim`, { as: '张敏' });
    expect(again.body.alreadyClaimed).toBe(true);
    expect(await h.count('audit_log', "entity = 'lead' AND entityId = ? AND field = 'claimedAt'", [id])).toBe(1);
    h.clock.set(TEST_NOW);
  });

  it('a rep moves the stage forward by hand; back needs a supervisor; signing only through 已签约', async () => {
    const made = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915440006', channel: '百度-品牌词' } });
    const id = made.body.lead.id;
    const fwd = await h.req('PATCH', `/api/leads/${id}`, { as: '张敏', body: { journeyNode: '异议处理' } });
    expect(fwd.status).toBe(200);
    expect(fwd.body.lead.journeyNode).toBe('异议处理');
    const back = await h.req('PATCH', `/api/leads/${id}`, { as: '张敏', body: { journeyNode: '需求确认' } });
    expect(back.status).toBe(403);
    expect(back.body.error.message).toMatch(/主管或管理员/);
    const sign = await h.req('PATCH', `/api/leads/${id}`, { as: '张敏', body: { journeyNode: '签约转化' } });
    expect(sign.status).toBe(400);
    expect(sign.body.error.message).toMatch(/已签约/);
    expect((await h.req('PATCH', `/api/leads/${id}`, { as: '李静', body: { journeyNode: '需求确认' } })).status).toBe(200);
    const steps = await h.ds.query('SELECT fromNode, toNode, actorId FROM journey_event WHERE leadId = ? ORDER BY id', [id]);
    expect(steps.map((e: any) => `${e.fromNode}→${e.toNode}`)).toEqual(['null→线索获取', '线索获取→异议处理', '异议处理→需求确认']);
    expect(Number(steps[2].actorId)).toBe((await h.user('李静')).id);
    const audit = (await h.req('GET', `/api/leads/${id}/audit`, { as: '李静' })).body.items;
    expect(audit.filter((a: any) => a.field === 'journeyNode').map((a: any) => a.after)).toEqual(['异议处理', '需求确认']);
    const t = (await h.req('GET', `/api/leads/${id}`, { as: '李静' })).body.timeline;
    expect(t.filter((e: any) => e.kind === 'journey').map((e: any) => e.text)).toEqual(['进入「异议处理」', '进入「需求确认」']);
  });

  it('marking a lead lost needs a reason', async () => {
    const { body } = await h.req('GET', '/api/leads?pageSize=1', { as: '李静' });
    const id = body.items[0].id;
    const bad = await h.req('PATCH', `/api/leads/${id}`, { as: '李静', body: { status: 'lost' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/流失原因/);
    const ok = await h.req('PATCH', `/api/leads/${id}`, { as: '李静', body: { status: 'lost', lostReason: '已报名其他机构' } });
    expect(ok.status).toBe(200);
    expect(ok.body.lead).toMatchObject({ status: 'lost', lostReason: '已报名其他机构' });
  });

  it('soft delete hides the lead, keeps its rows, and restore brings it back; both audited', async () => {
    const made = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915440003', channel: '地推-展会二维码' } });
    const id = made.body.lead.id;
    await h.req('POST', '/api/followups', { as: '张敏', body: { leadId: id, action: '已电话沟通', clientRequestId: `del-test-${kind}-1` } });

    expect((await h.req('DELETE', `/api/leads/${id}`, { as: '张敏' })).status).toBe(403);
    const del = await h.req('DELETE', `/api/leads/${id}`, { as: '李静' });
    expect(del.status).toBe(200);
    expect(del.body.deletedAt).toBe(TEST_NOW);
    expect((await h.req('GET', `/api/leads/${id}`, { as: '张敏' })).status).toBe(404);
    const list = await h.req('GET', '/api/leads?pageSize=100', { as: '张敏' });
    expect(list.body.items.some((l: any) => l.id === id)).toBe(false);
    // Nothing cascades: follow-up and customer rows are untouched.
    expect(await h.count('followup', 'leadId = ? AND deletedAt IS NULL', [id])).toBe(1);
    expect(await h.count('customer', 'id = ? AND deletedAt IS NULL', [made.body.lead.customerId])).toBe(1);

    const bin = await h.req('GET', '/api/leads?deleted=true&pageSize=100', { as: '李静' });
    expect(bin.body.items.map((l: any) => l.id)).toContain(id);
    expect((await h.req('GET', '/api/leads?deleted=true', { as: '张敏' })).status).toBe(403);
    expect((await h.req('DELETE', `/api/leads/${id}`, { as: '李静' })).status).toBe(409);

    const res = await h.req('POST', `/api/leads/${id}/restore`, { as: '李静' });
    expect(res.status).toBe(200);
    const back = await h.req('GET', `/api/leads/${id}`, { as: '张敏' });
    expect(back.status).toBe(200);
    expect(back.body.timeline.map((e: any) => e.kind)).toEqual(expect.arrayContaining(['intake', 'deleted', 'restored', 'followup']));
    const audit = (await h.req('GET', `/api/leads/${id}/audit`, { as: '李静' })).body.items.filter((a: any) => a.entity === 'lead');
    expect(audit.map((a: any) => a.action)).toEqual(expect.arrayContaining(['create', 'delete', 'restore']));
    expect(audit.find((a: any) => a.action === 'delete')).toMatchObject({ field: 'deletedAt', before: null, after: TEST_NOW });
  });

  it('a customer with live leads cannot be deleted; an admin can delete and restore one without', async () => {
    const made = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915440004', channel: '转介绍-老学员' } });
    const cid = made.body.lead.customerId;
    expect((await h.req('DELETE', `/api/customers/${cid}`, { as: '李静' })).status).toBe(403);
    const blocked = await h.req('DELETE', `/api/customers/${cid}`, { as: '系统管理员' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.message).toMatch(/1 条线索/);
    await h.req('DELETE', `/api/leads/${made.body.lead.id}`, { as: '系统管理员' });
    expect((await h.req('DELETE', `/api/customers/${cid}`, { as: '系统管理员' })).status).toBe(200);
    expect((await h.req('GET', '/api/customers/lookup?phone=13915440004', { as: '系统管理员' })).body.customer).toBeNull();
    // A new lead for the deleted customer's phone brings the customer back instead of duplicating it.
    const again = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915440004', channel: '转介绍-老学员' } });
    expect(again.body.attachedToExisting).toBe(true);
    expect(again.body.lead.customerId).toBe(cid);
    expect(await h.count('customer', 'phone = ? AND deletedAt IS NULL', ['13915440004'])).toBe(1);
    const restoreRows = await h.count('audit_log', "entity = 'customer' AND entityId = ? AND action = 'restore'", [cid]);
    expect(restoreRows).toBe(1);
  });
});
