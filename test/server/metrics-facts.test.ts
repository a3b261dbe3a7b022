import { afterAll, beforeAll, expect, it } from 'vitest';
import { refreshLeadFacts } from '../../server/src/metrics/facts';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';

/**
 * A lead created in a transaction gets its fact row from memory (no re-read inside intake's routing lock).
 * Whatever path wrote them, the stored facts must equal what the read path recomputes from the rows.
 */
describeEachDb('lead facts written at creation equal facts recomputed from the rows', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start(), 120_000);
  afterAll(() => h.stop(), 120_000);

  it("intake (routed), a known customer, a rep's own lead, then a follow-up", async () => {
    const ch = await h.req('POST', '/api/intake-channels', {
      as: '系统管理员',
      body: {
        code: 'facts-form',
        name: '表单',
        tag: '抖音-202601直播',
        kind: 'api',
        mapping: { phone: '$.m', name: '$.n', grade: '$.g', region: '$.r', concerns: '$.c' },
      },
    });
    expect(ch.status).toBe(201);
    const intake = (b: object) =>
      fetch(`${h.base}/api/intake/facts-form`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-intake-key': ch.body.key },
        body: JSON.stringify(b),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    const a = await intake({ m: '13041891234', n: '李妈妈', g: '初三', r: '江苏苏州', c: '升学政策' });
    const b = await intake({ m: '13915441234', g: '初二' }); // 王妈妈, a demo customer: attached to her
    const c = await intake({ m: '13358021234', r: '上海' });
    for (const r of [a, b, c]) expect(r.status).toBe(201);
    expect(a.body.owner).not.toBeNull();
    const own = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13616281234', channel: '转介绍', name: '周爸爸', grade: '小五' } });
    expect(own.status).toBe(201);
    const ids = [a.body.leadId, b.body.leadId, c.body.leadId, own.body.lead.id];
    const fu = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId: own.body.lead.id, action: '已电话沟通', conclusion: '想了解小升初', source: 'typed' },
      headers: { 'Idempotency-Key': 'facts-fu-0001' },
    });
    expect(fu.status, JSON.stringify([fu.body, own.body]).slice(0, 600)).toBe(201);

    const stored = await h.ds.query(`SELECT * FROM lead_fact WHERE leadId IN (${ids.join(',')}) ORDER BY leadId`);
    expect(stored).toHaveLength(4);
    const recomputed = await h.ds.transaction(async (em) => {
      await refreshLeadFacts(em, h.seed.companyId, ids, { at: TEST_NOW });
      const rows = await em.query(`SELECT * FROM lead_fact WHERE leadId IN (${ids.join(',')}) ORDER BY leadId`);
      await em.query('DELETE FROM lead_fact WHERE 1 = 0'); // keep the transaction open until here
      return rows;
    });
    const strip = (r: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(r)
          .filter(([k]) => k !== 'updatedAt')
          .map(([k, v]) => [k, v === null ? null : String(v)]),
      );
    expect(recomputed.map(strip)).toEqual(stored.map(strip));
    // What the facts say is what happened: routed owner, city and grade from the form, the follow-up counted.
    const byLead = new Map<number, any>(stored.map((r: any) => [Number(r.leadId), r]));
    expect(Number(byLead.get(a.body.leadId).ownerId)).toBe(a.body.owner.id);
    expect(byLead.get(a.body.leadId)).toMatchObject({ grade: '初三' });
    const [wang] = await h.ds.query("SELECT grade, city FROM customer WHERE phone = '13915441234'");
    expect(byLead.get(b.body.leadId)).toMatchObject({ grade: wang.grade, city: wang.city }); // a known customer keeps their grade
    expect(Number(byLead.get(own.body.lead.id).firstTouchAt)).toBe(TEST_NOW);
  });

  it("a lead reassigned after its first call counts the new owner's first touch, not the old one", async () => {
    const made = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13616289999', channel: '转介绍', name: '钱妈妈' } });
    const id = made.body.lead.id;
    const save = (as: string, key: string) =>
      h.req('POST', '/api/followups', {
        as,
        body: { leadId: id, action: '已电话沟通', conclusion: '了解需求' },
        headers: { 'Idempotency-Key': key },
      });
    const first = h.clock.now();
    expect((await save('张敏', 'facts-reassign-1')).status).toBe(201);
    h.clock.advance(3600_000);
    const chen = await h.user('陈晨');
    expect((await h.req('PATCH', `/api/leads/${id}`, { as: '李静', body: { ownerId: chen.id } })).status).toBe(200);
    const reassigned = h.clock.now();
    h.clock.advance(30 * 60_000); // the new owner calls half an hour later
    expect((await save('陈晨', 'facts-reassign-2')).status).toBe(201);
    h.clock.advance(60_000);
    expect((await save('陈晨', 'facts-reassign-3')).status).toBe(201);
    const [fact] = await h.ds.query('SELECT assignedAt, firstTouchAt, assignTouchAt, f48PendingUntil FROM lead_fact WHERE leadId = ?', [id]);
    expect(Number(fact.assignedAt)).toBe(reassigned);
    expect(Number(fact.firstTouchAt)).toBe(first);
    expect(Number(fact.assignTouchAt)).toBe(reassigned + 30 * 60_000);
    expect(fact.f48PendingUntil).toBeNull();
  });
});
