import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';

describeEachDb('content by tag: queue, sidebar contract, sent', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('tagging a customer 摇号焦虑 queues 民办摇号攻略; the rep sees it and marks it sent (idempotent, audited)', async () => {
    const created = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915449001', channel: '抖音-202601直播', tags: ['摇号焦虑'] } });
    expect(created.status).toBe(201);
    const cid = created.body.lead.customerId;
    const q = await h.req('GET', `/api/customers/${cid}/content-queue`, { as: '张敏' });
    expect(q.status).toBe(200);
    expect(q.body.items).toEqual([
      { id: expect.any(Number), title: '民办摇号攻略', url: expect.stringMatching(/^https:\/\//), reason: '客户标签「摇号焦虑」' },
    ]);

    // Adding a tag on the customer update path queues its material once.
    const patched = await h.req('PATCH', `/api/leads/${created.body.lead.id}`, { as: '张敏', body: { tags: ['摇号焦虑', '中考政策'] } });
    expect(patched.status).toBe(200);
    await h.req('PATCH', `/api/leads/${created.body.lead.id}`, { as: '张敏', body: { name: '林妈妈' } });
    const q2 = await h.req('GET', `/api/customers/${cid}/content-queue`, { as: '张敏' });
    expect(q2.body.items.map((i: any) => i.title)).toEqual(['民办摇号攻略', '2026江苏中考新政白皮书']);

    const id = q.body.items[0].id;
    const sent = await h.req('POST', `/api/content-queue/${id}/sent`, { as: '张敏' });
    expect(sent.status).toBe(200);
    expect(sent.body.alreadySent).toBe(false);
    const again = await h.req('POST', `/api/content-queue/${id}/sent`, { as: '张敏' });
    expect(again.body).toMatchObject({ alreadySent: true, sentAt: sent.body.sentAt });
    expect((await h.req('GET', `/api/customers/${cid}/content-queue`, { as: '张敏' })).body.items.map((i: any) => i.title)).toEqual(['2026江苏中考新政白皮书']);
    expect(await h.count('audit_log', "entity = 'content_queue' AND action = 'update' AND entityId = ?", [id])).toBe(1);
    // A second lead for the same customer does not queue the same material twice.
    await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: '13915449001', channel: '公众号-寒假讲座推文', tags: ['摇号焦虑'] } });
    expect(await h.count('content_queue', 'customerId = ?', [cid])).toBe(2);
  });

  it("other reps cannot see or mark someone else's customer material; unknown ids are 404", async () => {
    const c = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915449002', channel: '抖音-202601直播', tags: ['择校'] } });
    const q = await h.req('GET', `/api/customers/${c.body.lead.customerId}/content-queue`, { as: '张敏' });
    expect(q.body.items).toHaveLength(1);
    expect((await h.req('GET', `/api/customers/${c.body.lead.customerId}/content-queue`, { as: '周杰' })).status).toBe(404);
    expect((await h.req('POST', `/api/content-queue/${q.body.items[0].id}/sent`, { as: '周杰' })).status).toBe(404);
    expect((await h.req('POST', '/api/content-queue/999999/sent', { as: '张敏' })).status).toBe(404);
  });

  it('the tag → content mapping is configurable by admin/ops', async () => {
    const add = await h.req('POST', '/api/content/items', {
      as: '黄蓉',
      body: { tag: '英语薄弱', title: '初中英语提分方案', url: 'https://content.example/en' },
    });
    expect(add.status).toBe(201);
    expect((await h.req('POST', '/api/content/items', { as: '张敏', body: { tag: 'x', title: 'y', url: 'https://a.b' } })).status).toBe(403);
    const bad = await h.req('POST', '/api/content/items', { as: '黄蓉', body: { tag: 'x', title: 'y', url: 'not a url' } });
    expect(bad.status).toBe(400);
    const c = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915449003', channel: '抖音-202601直播', tags: ['英语薄弱'] } });
    const q = await h.req('GET', `/api/customers/${c.body.lead.customerId}/content-queue`, { as: '张敏' });
    expect(q.body.items.map((i: any) => i.title)).toEqual(['初中英语提分方案']);
    const list = await h.req('GET', '/api/content/items', { as: '张敏' });
    expect(list.body.items.map((i: any) => i.tag)).toEqual(expect.arrayContaining(['摇号焦虑', '中考政策', '英语薄弱']));
  });
});
