import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';

const DAY = 24 * 3600_000;
const nextWed = '2026-01-21T15:00:00+08:00'; // "下周三下午3点" from Thu 2026-01-15

describeEachDb('follow-ups: one transaction, idempotent, journey, timeline', (kind) => {
  const h = new Harness(kind);
  let leadId: number;
  beforeAll(async () => {
    await h.start();
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814541111', name: '孙妈妈', grade: '初三', channel: '抖音-202601直播' } });
    leadId = r.body.lead.id;
  });
  afterAll(() => h.stop());

  it('stores the three fields and updates the lead: first/last time, node, next step, status', async () => {
    const body = {
      leadId,
      action: '已电话沟通',
      conclusion: '预算有限，需对比3家',
      nextStep: { at: nextWed, action: '微信发试听回放' },
      source: 'phrase',
    };
    const r = await h.req('POST', '/api/followups', { as: '张敏', body, headers: { 'Idempotency-Key': `fu-${kind}-0001` } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ action: '已电话沟通', conclusion: '预算有限，需对比3家', nextStepAt: Date.parse(nextWed), source: 'phrase' });
    expect(r.body.lead).toMatchObject({
      status: 'following',
      journeyNode: '首次触达',
      firstFollowupAt: TEST_NOW,
      lastFollowupAt: TEST_NOW,
      nextStepDueAt: Date.parse(nextWed),
      nextStepAction: '微信发试听回放',
    });
    const lead = await h.req('GET', `/api/leads/${leadId}`, { as: '张敏' });
    expect(lead.body.nextStepDueAt).toBe(Date.parse(nextWed));
    expect(await h.count('journey_event', 'leadId = ? AND toNode = ?', [leadId, '首次触达'])).toBe(1);
    const audit = (await h.req('GET', `/api/leads/${leadId}/audit`, { as: '张敏' })).body.items;
    expect(audit.some((a: any) => a.entity === 'followup' && a.action === 'create')).toBe(true);
    expect(audit.find((a: any) => a.entity === 'lead' && a.field === 'journeyNode')).toMatchObject({ before: '线索获取', after: '首次触达' });
  });

  it('the same Idempotency-Key returns the first result and writes nothing', async () => {
    const before = { f: await h.count('followup'), a: await h.count('audit_log'), j: await h.count('journey_event') };
    const body = {
      leadId,
      action: '已电话沟通',
      conclusion: '预算有限，需对比3家',
      nextStep: { at: nextWed, action: '微信发试听回放' },
      source: 'phrase',
    };
    const again = await h.req('POST', '/api/followups', { as: '张敏', body, headers: { 'Idempotency-Key': `fu-${kind}-0001` } });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.clientRequestId).toBe(`fu-${kind}-0001`);
    expect({ f: await h.count('followup'), a: await h.count('audit_log'), j: await h.count('journey_event') }).toEqual(before);
  });

  it('a retry after the lead was reassigned away still gets the first result, and writes nothing', async () => {
    const made = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814541112', channel: '抖音-202601直播' } });
    const id = made.body.lead.id;
    const body = { leadId: id, action: '已电话沟通', conclusion: '先了解一下' };
    const first = await h.req('POST', '/api/followups', { as: '张敏', body, headers: { 'Idempotency-Key': `fu-${kind}-moved-1` } });
    expect(first.status).toBe(201);
    const chen = await h.user('陈晨');
    expect((await h.req('PATCH', `/api/leads/${id}`, { as: '李静', body: { ownerId: chen.id } })).status).toBe(200);
    // 张敏 can no longer write to (or see) the lead; her queued retry is answered as the first submit was.
    expect(
      (await h.req('POST', '/api/followups', { as: '张敏', body: { ...body, conclusion: '另一条' }, headers: { 'Idempotency-Key': `fu-${kind}-moved-2` } }))
        .status,
    ).toBe(404);
    const before = { f: await h.count('followup'), a: await h.count('audit_log') };
    const again = await h.req('POST', '/api/followups', { as: '张敏', body, headers: { 'Idempotency-Key': `fu-${kind}-moved-1` } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect({ f: await h.count('followup'), a: await h.count('audit_log') }).toEqual(before);
  });

  it('a reused key with a different body is refused with 409, not merged', async () => {
    const r = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已发送资料' },
      headers: { 'Idempotency-Key': `fu-${kind}-0001` },
    });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/请求编号/);
  });

  it('concurrent copies of one submit store exactly one follow-up', async () => {
    const body = { leadId, action: '已发送资料', conclusion: '发了2026江苏中考新政白皮书', clientRequestId: `fu-${kind}-race-1` };
    const n = await h.count('followup', 'leadId = ?', [leadId]);
    const results = await Promise.all(Array.from({ length: 10 }, () => h.req('POST', '/api/followups', { as: '张敏', body })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(9);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await h.count('followup', 'leadId = ?', [leadId])).toBe(n + 1);
    expect(await h.count('journey_event', 'leadId = ? AND toNode = ?', [leadId, '方案提供'])).toBe(1);
  });

  it.runIf(kind === 'mysql')('a save that InnoDB picks as a deadlock victim is run again, not answered 500', async () => {
    const made = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814543333', channel: '抖音-202601直播' } });
    const id = made.body.lead.id;
    const other = h.ds.createQueryRunner();
    await other.connect();
    try {
      // A heavier transaction (more rows changed, so InnoDB rolls the save back, not it) holds the lead's fact row.
      // It changes other customers by primary key: no lock the save needs before it reaches the fact.
      const [{ customerId }] = await h.ds.query('SELECT customerId FROM `lead` WHERE id = ?', [id]);
      const others = (await h.ds.query('SELECT id FROM customer WHERE id <> ? LIMIT 50', [customerId])).map((r: { id: number }) => r.id);
      await other.startTransaction();
      for (let i = 0; i < 20; i++) await other.query(`UPDATE customer FORCE INDEX (PRIMARY) SET updatedAt = updatedAt + 1 WHERE id IN (${others.join(',')})`);
      await other.query('SELECT leadId FROM `lead_fact` WHERE leadId = ? FOR UPDATE', [id]);
      const save = h.req('POST', '/api/followups', {
        as: '张敏',
        body: { leadId: id, action: '已电话沟通', conclusion: '约周末详谈' },
        headers: { 'Idempotency-Key': `fu-${kind}-deadlock` },
      });
      // The save holds the lead and waits for the fact; asking for the lead closes the cycle.
      for (let i = 0; i < 200; i++) {
        const [w] = await h.ds.query(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%FROM lead_fact%FOR UPDATE%' AND ID <> CONNECTION_ID()",
        );
        if (Number(w.n) > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await other.query('SELECT id FROM `lead` WHERE id = ? FOR UPDATE', [id]);
      await other.rollbackTransaction();
      const r = await save;
      expect(r.status).toBe(201);
      expect(r.body.lead.firstFollowupAt).not.toBeNull();
      expect(await h.count('followup', 'clientRequestId = ?', [`fu-${kind}-deadlock`])).toBe(1);
      expect(await h.count('audit_log', "entity = 'followup' AND entityId = ? AND action = 'create'", [r.body.id])).toBe(1);
    } finally {
      if (other.isTransactionActive) await other.rollbackTransaction();
      await other.release();
    }
  });

  it('a key is required, and header and body must agree', async () => {
    const none = await h.req('POST', '/api/followups', { as: '张敏', body: { leadId, action: '已电话沟通' } });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toMatch(/Idempotency-Key/);
    const mismatch = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', clientRequestId: 'abcdefgh-1' },
      headers: { 'Idempotency-Key': 'abcdefgh-2' },
    });
    expect(mismatch.status).toBe(400);
  });

  it('the journey only moves forward; signing wins the lead; the timeline reads in order', async () => {
    h.clock.advance(DAY);
    const book = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已预约试听', conclusion: '约周六上午试听', clientRequestId: `fu-${kind}-0003` },
    });
    expect(book.body.lead.journeyNode).toBe('试听体验');
    // A later phone call does not drag the lead back to 首次触达, and clears the stale next step.
    h.clock.advance(3600_000);
    const call = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', conclusion: '确认试听时间', clientRequestId: `fu-${kind}-0004` },
    });
    expect(call.body.lead).toMatchObject({ journeyNode: '试听体验', nextStepDueAt: null, firstFollowupAt: TEST_NOW });
    h.clock.advance(DAY);
    // Signing names the course signed (demand match compares it with the customer's concerns).
    const noCourse = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已签约', conclusion: '签约春季班', clientRequestId: `fu-${kind}-0005x` },
    });
    expect(noCourse.status).toBe(400);
    expect(noCourse.body.error.message).toMatch(/^签约请选择所签课程/);
    const sign = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已签约', conclusion: '签约春季班', signedCourse: '数学提分班', clientRequestId: `fu-${kind}-0005` },
    });
    expect(sign.body.lead).toMatchObject({ journeyNode: '签约转化', status: 'won' });
    expect(sign.body.signedCourse).toBe('数学提分班');

    const t = (await h.req('GET', `/api/leads/${leadId}`, { as: '张敏' })).body.timeline;
    const kinds = t.map((e: any) => e.kind);
    expect(kinds.slice(0, 2)).toEqual(['intake', 'assigned']);
    expect(t[0].text).toBe('抖音-202601直播 留资');
    expect(t[1].text).toBe('分配给 张敏');
    expect(t.map((e: any) => e.at)).toEqual([...t.map((e: any) => e.at)].sort((a, b) => a - b));
    const journeyTexts = t.filter((e: any) => e.kind === 'journey').map((e: any) => e.text);
    expect(journeyTexts).toEqual(['进入「首次触达」', '进入「方案提供」', '进入「试听体验」', '进入「签约转化」']);
    const fu = t.find((e: any) => e.kind === 'followup');
    expect(fu.text).toBe('已电话沟通：预算有限，需对比3家（下一步：1月21日 15:00 微信发试听回放）');
    expect(fu.actorName).toBe('张敏');
    expect(t.find((e: any) => e.step === 'signing').text).toBe('已签约（数学提分班）：签约春季班');
  });

  it('deleting a follow-up recomputes first/last contact; restoring puts them back; both audited', async () => {
    const made = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814542222', channel: '百度-品牌词' } });
    const id = made.body.lead.id;
    const f = await h.req('POST', '/api/followups', { as: '张敏', body: { leadId: id, action: '已电话沟通', clientRequestId: `fu-${kind}-del-1` } });
    expect(f.body.lead.firstFollowupAt).not.toBeNull();
    expect((await h.req('DELETE', `/api/followups/${f.body.id}`, { as: '陈晨' })).status).toBe(404);
    expect((await h.req('DELETE', `/api/followups/${f.body.id}`, { as: '张敏' })).status).toBe(200);
    let lead = (await h.req('GET', `/api/leads/${id}`, { as: '张敏' })).body;
    expect(lead.firstFollowupAt).toBeNull();
    expect(lead.lastFollowupAt).toBeNull();
    expect(lead.timeline.some((e: any) => e.kind === 'followup')).toBe(false);
    expect((await h.req('POST', `/api/followups/${f.body.id}/restore`, { as: '张敏' })).status).toBe(200);
    lead = (await h.req('GET', `/api/leads/${id}`, { as: '张敏' })).body;
    expect(lead.firstFollowupAt).toBe(f.body.createdAt);
    const actions = await h.ds.query("SELECT action FROM audit_log WHERE entity = 'followup' AND entityId = ? ORDER BY id", [f.body.id]);
    expect(actions.map((a: any) => a.action)).toEqual(['create', 'delete', 'restore']);
  });

  it('the action must be one of the company list; next step must be in the future', async () => {
    const n = await h.count('followup');
    const other = await h.req('POST', '/api/followups', { as: '张敏', body: { leadId, action: '其他', clientRequestId: `fu-${kind}-bad-1` } });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toBe('未知的跟进动作「其他」，请从以下选择：已电话沟通、已发送资料、已预约试听、已签约');
    const past = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', nextStep: { at: '2025-01-01T10:00:00+08:00', action: '回访' }, clientRequestId: `fu-${kind}-bad-2` },
    });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toMatch(/已经过去/);
    expect(await h.count('followup')).toBe(n);
  });
});
