import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { BusinessSystemFake } from '../fakes/business-systems';

const DAY = 86_400_000;

describeEachDb('inbound business events: finance 回款 and after-sales 工单', (kind) => {
  const h = new Harness(kind, 0);
  let finance: BusinessSystemFake;
  let afterSales: BusinessSystemFake;
  let leadId = 0;
  let customerId = 0;
  const phone = '13915447001';

  beforeAll(async () => {
    await h.start();
    const fin = await h.req('POST', '/api/event-sources', { as: '系统管理员', body: { code: 'kingdee', name: '金蝶财务', kind: 'finance' } });
    expect(fin.status).toBe(201);
    expect(fin.body.secret).toMatch(/^evsec_/);
    expect(fin.body.mapping).toMatchObject({ eventId: '$.id', amount: '$.amount', contractNo: '$.contract_no', phone: '$.phone' });
    finance = new BusinessSystemFake(`${h.base}/api/events/in/kingdee`, fin.body.secret, () => h.clock.now());
    const as = await h.req('POST', '/api/event-sources', {
      as: '系统管理员',
      body: {
        code: 'service-desk',
        name: '售后系统',
        kind: 'after_sales',
        mapping: {
          eventId: '$.event.id',
          ticketId: '$.ticket.no',
          phone: '$.ticket.mobile',
          category: '$.ticket.type',
          status: '$.ticket.state',
          summary: '$.ticket.title',
          occurredAt: '$.event.time',
        },
      },
    });
    expect(as.status).toBe(201);
    afterSales = new BusinessSystemFake(`${h.base}/api/events/in/service-desk`, as.body.secret, () => h.clock.now());
    const lead = await h.req('POST', '/api/leads', { as: '张敏', body: { phone, name: '陈妈妈', channel: '公众号-寒假讲座推文' } });
    expect(lead.status).toBe(201);
    leadId = lead.body.lead.id;
    customerId = lead.body.lead.customerId;
  });
  afterAll(() => h.stop());

  it('a 回款 makes the lead 已签约, records the revenue and shows on the timeline; sent again it changes nothing', async () => {
    const event = { id: 'pay-1001', contract_no: 'HT-2026-0088', phone, amount: '12,800.00', paid_at: '2026-01-20' };
    const r = await finance.send(event);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'applied', customerId, leadId, note: '线索已标记为已签约' });
    const lead = await h.req('GET', `/api/leads/${leadId}`, { as: '张敏' });
    expect(lead.body).toMatchObject({
      status: 'won',
      journeyNode: '签约转化',
      revenue: { total: 12800, payments: [{ amount: 12800, contractNo: 'HT-2026-0088' }] },
    });
    const [rev] = await h.ds.query('SELECT amountFen, contractNo, channel FROM lead_revenue WHERE leadId = ?', [leadId]);
    expect({ ...rev, amountFen: Number(rev.amountFen) }).toEqual({ amountFen: 1_280_000, contractNo: 'HT-2026-0088', channel: '公众号-寒假讲座推文' });
    const timeline = await h.req('GET', `/api/leads/${leadId}/timeline`, { as: '张敏' });
    expect(timeline.body.items.map((i: any) => i.text)).toContain('回款 ¥12,800（合同 HT-2026-0088）');
    const again = await finance.send(event);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await h.count('lead_revenue')).toBe(1);
    const reused = await finance.send({ ...event, amount: 1 });
    expect(reused.status).toBe(409);
    expect(await h.count('lead_revenue')).toBe(1);
  });

  it('the same event sent concurrently is taken once', async () => {
    const event = { id: 'pay-1002', phone, amount: 500, paid_at: '2026-01-21' };
    const rs = await Promise.all([finance.send(event), finance.send(event), finance.send(event)]);
    expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(await h.count('lead_revenue')).toBe(2);
  });

  it('an unknown customer is parked for review, never dropped; a person resolves it and it takes effect', async () => {
    const r = await finance.send({ id: 'pay-2001', phone: '13915447999', amount: 3000, contract_no: 'HT-X' });
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('parked');
    expect(r.body.reason).toContain('找不到客户');
    expect(r.body.reason).not.toContain('13915447999');
    const list = await h.req('GET', '/api/inbound-events?status=parked', { as: '黄蓉' });
    expect(list.status).toBe(200);
    const parked = list.body.items.find((i: any) => i.eventId === 'pay-2001');
    expect(parked).toMatchObject({ source: '金蝶财务', status: 'parked' });
    expect(JSON.stringify(parked.payload)).not.toContain('13915447999'); // phones masked for the viewer
    const rep = await h.req('GET', '/api/inbound-events', { as: '张敏' });
    expect(rep.status).toBe(403);
    const resolved = await h.req('POST', `/api/inbound-events/${parked.id}/resolve`, { as: '黄蓉', body: { customerId } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'applied', customerId, leadId });
    expect(await h.count('lead_revenue')).toBe(3);
    const twice = await h.req('POST', `/api/inbound-events/${parked.id}/resolve`, { as: '黄蓉', body: { customerId } });
    expect(twice.status).toBe(409);
    const other = await finance.send({ id: 'pay-2002', phone: '13915447998', amount: 1 });
    const dismissed = await h.req('POST', `/api/inbound-events/${other.body.id}/dismiss`, { as: '黄蓉', body: { reason: '测试数据' } });
    expect(dismissed.body).toMatchObject({ status: 'dismissed', reason: '已忽略：测试数据' });
  });

  it('a fault ticket lowers the health score and warns on the sidebar card until it is closed', async () => {
    const t0 = h.clock.now();
    const open = await afterSales.send({
      event: { id: 'ev-1', time: t0 },
      ticket: { no: 'T-77', mobile: phone, type: '投诉', state: '处理中', title: '老师迟到' },
    });
    expect(open.status).toBe(201);
    expect(open.body.status).toBe('applied');
    const card = await h.req('GET', `/api/customers/lookup?phone=${phone}`, { as: '张敏' });
    expect(card.body.customer.health).toMatchObject({ level: 'risk', levelLabel: '风险', warning: '售后工单处理中，勿推新品' });
    expect(card.body.customer.health.lines).toEqual([
      { label: '未关闭工单 1 个', points: -15 },
      { label: '故障工单处理中', points: -25 },
      { label: '近90天故障 1 次', points: -10 },
      { label: '还没有跟进记录', points: -10 },
    ]);
    expect(card.body.customer.health.score).toBe(40);
    expect(card.body.customer.openTickets).toEqual([expect.objectContaining({ ticketId: 'T-77', category: '投诉', fault: true, status: 'open' })]);
    // An older event arriving late does not reopen or close anything.
    const late = await afterSales.send({ event: { id: 'ev-0', time: t0 - 60_000 }, ticket: { no: 'T-77', mobile: phone, type: '投诉', state: 'closed' } });
    expect(late.body.reason).toContain('更早');
    h.clock.advance(DAY);
    const closed = await afterSales.send({ event: { id: 'ev-2', time: h.clock.now() }, ticket: { no: 'T-77', mobile: phone, type: '投诉', state: '已关闭' } });
    expect(closed.body.status).toBe('applied');
    const after = await h.req('GET', `/api/customers/lookup?phone=${phone}`, { as: '张敏' });
    expect(after.body.customer.health).toMatchObject({ warning: null, score: 80, level: 'good' });
    expect(after.body.customer.openTickets).toEqual([]);
    const detail = await h.req('GET', `/api/customers/${customerId}`, { as: '张敏' });
    expect(detail.body.serviceTickets[0]).toMatchObject({ ticketId: 'T-77', status: 'closed' });
    const timeline = await h.req('GET', `/api/leads/${leadId}/timeline`, { as: '张敏' });
    const texts = timeline.body.items.map((i: any) => i.text);
    expect(texts).toContain('售后工单 T-77「投诉」：老师迟到 已受理（故障）');
    expect(texts).toContain('售后工单 T-77 已关闭');
  });

  it('forged, stale, unsigned, oversized and malformed requests are refused with 4xx and change nothing', async () => {
    const before = [await h.count('inbound_event'), await h.count('lead_revenue')];
    const event = { id: 'pay-3001', phone, amount: 100 };
    const body = JSON.stringify(event);
    const ts = String(Math.floor(h.clock.now() / 1000));
    expect((await finance.send(event, { signature: 'ab'.repeat(32) })).status).toBe(401);
    expect((await finance.send(event, { body: body.replace('100', '900'), signature: finance.sign(ts, body), timestamp: ts })).status).toBe(401);
    expect((await finance.send(event, { signature: null })).status).toBe(401);
    const old = String(Math.floor(h.clock.now() / 1000) - 600);
    const stale = await finance.send(event, { timestamp: old, signature: finance.sign(old, body) });
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toContain('时间戳');
    expect((await finance.send({ ...event, note: 'x'.repeat(70 * 1024) })).status).toBe(413);
    const noAmount = await finance.send({ id: 'pay-3002', phone });
    expect(noAmount.status).toBe(400);
    expect(noAmount.body.error.message).toContain('金额');
    expect((await finance.send({ id: 'pay-3003', amount: 5 })).body.error.message).toContain('缺少客户');
    expect((await finance.send(event, { body: '{not json' })).status).toBe(400);
    expect((await finance.send({ ...event, customer_id: 'abc' })).status).toBe(400);
    expect([await h.count('inbound_event'), await h.count('lead_revenue')]).toEqual(before);
  });

  it('sources: changed by the admin only (ops may read the list), the secret shown once and rotated, mappings checked', async () => {
    expect((await h.req('GET', '/api/event-sources', { as: '张敏' })).status).toBe(403);
    expect((await h.req('POST', '/api/event-sources', { as: '黄蓉', body: { code: 'x-ops', name: 'x', kind: 'custom' } })).status).toBe(403);
    const list = await h.req('GET', '/api/event-sources', { as: '系统管理员' });
    expect(JSON.stringify(list.body)).not.toContain('evsec_');
    const bad = await h.req('POST', '/api/event-sources', {
      as: '系统管理员',
      body: { code: 'x-fin', name: 'x', kind: 'finance', mapping: { eventId: '$.id' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('金额');
    const id = list.body.items.find((s: any) => s.code === 'kingdee').id;
    const rotated = await h.req('PATCH', `/api/event-sources/${id}`, { as: '系统管理员', body: { rotateSecret: true } });
    expect(rotated.body.secret).toMatch(/^evsec_/);
    expect((await finance.send({ id: 'pay-4001', phone, amount: 1 })).status).toBe(401); // the old secret stops at once
    const audit = await h.ds.query("SELECT * FROM audit_log WHERE entity = 'event_source'");
    expect(JSON.stringify(audit)).not.toContain(rotated.body.secret);
  });
});
