import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, type Res } from '../support/harness';

const ADMIN = '系统管理员';

/**
 * The data-health view's relation and completeness checks (docs/data-safety.md): each figure counts what it says,
 * drills down to the records, and the fix it names makes it go away.
 */
describeEachDb('data health: broken relations, empty required fields, duplicates, drill-down', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const check = async (key: string) => ok(await h.req('GET', '/api/data-health', { as: ADMIN }), 'health').checks.find((c: any) => c.key === key);
  let phone = 13600000000;
  const lead = async (body: Record<string, unknown> = {}) =>
    ok(await h.req('POST', '/api/leads', { as: ADMIN, body: { phone: String(++phone), channel: '抖音-202601直播', ...body } }), 'lead').lead;

  it('a lead whose customer was deleted underneath it is an error until the customer is restored', async () => {
    const l = await lead({ name: '断链妈妈', city: '苏州' });
    expect(await check('leadsWithoutLiveCustomer')).toMatchObject({ status: 'ok', count: 0 });
    await h.ds.query('UPDATE customer SET deletedAt = 1 WHERE id = ?', [l.customerId]); // e.g. an old import script
    expect(await check('leadsWithoutLiveCustomer')).toMatchObject({ status: 'error', count: 1, sampleIds: [l.id], fix: expect.stringContaining('恢复') });
    const drill = ok(await h.req('GET', '/api/data-health/leadsWithoutLiveCustomer', { as: ADMIN }), 'drill');
    expect(drill).toMatchObject({ entity: 'lead', total: 1, ids: [l.id] });
    ok(await h.req('POST', `/api/customers/${l.customerId}/restore`, { as: ADMIN }), 'restore');
    expect(await check('leadsWithoutLiveCustomer')).toMatchObject({ status: 'ok', count: 0 });
  });

  it('follow-ups of a deleted lead are listed; restoring the lead clears them', async () => {
    const l = await lead();
    ok(
      await h.req('POST', '/api/followups', {
        as: ADMIN,
        body: { leadId: l.id, action: '已电话沟通', conclusion: '约了试听', source: 'typed' },
        headers: { 'Idempotency-Key': `dh-${kind}-1` },
      }),
      'followup',
    );
    const before = (await check('followupsOfDeletedLeads')).count;
    ok(await h.req('DELETE', `/api/leads/${l.id}`, { as: ADMIN }), 'delete');
    expect((await check('followupsOfDeletedLeads')).count).toBe(before + 1);
    ok(await h.req('POST', `/api/leads/${l.id}/restore`, { as: ADMIN }), 'restore');
    expect((await check('followupsOfDeletedLeads')).count).toBe(before);
  });

  it('empty required fields are a rate per field, following the company settings', async () => {
    ok(await h.req('PUT', '/api/settings/vocabulary', { as: ADMIN, body: { requiredProfileFields: ['name', 'city', 'grade'], confirm: true } }), 'vocabulary');
    const [{ n: live }] = await h.ds.query('SELECT COUNT(*) AS n FROM customer WHERE companyId = ? AND deletedAt IS NULL', [h.seed.companyId]);
    const [{ n: noGrade }] = await h.ds.query(
      "SELECT COUNT(*) AS n FROM customer WHERE companyId = ? AND deletedAt IS NULL AND (grade IS NULL OR grade = '')",
      [h.seed.companyId],
    );
    const grade = await check('emptyField:grade');
    expect(grade).toMatchObject({ count: Number(noGrade), total: Number(live), label: '必填资料「年级」为空的客户' });
    expect(grade.rate).toBeCloseTo(Number(noGrade) / Number(live), 3);
    expect(await check('emptyField:concerns')).toBeUndefined(); // not required here
    const drill = ok(await h.req('GET', `/api/data-health/${encodeURIComponent('emptyField:grade')}`, { as: ADMIN }), 'drill');
    expect(drill.total).toBe(Number(noGrade));
  });

  it('probable duplicate customers: same name, city and grade', async () => {
    const a = await lead({ name: '重复妈妈', city: '常州', grade: '初二' });
    const b = await lead({ name: '重复妈妈', city: '常州', grade: '初二' });
    const dup = await check('probableDuplicateCustomers');
    expect(dup.sampleIds).toEqual(expect.arrayContaining([a.customerId, b.customerId]));
    ok(
      await h.req('POST', '/api/followups', {
        as: ADMIN,
        body: { leadId: b.id, action: '已电话沟通', conclusion: '想先试听', source: 'typed' },
        headers: { 'Idempotency-Key': `dh-${kind}-merge` },
      }),
      'followup',
    );
    await h.ds.query('UPDATE customer SET concerns = ? WHERE id = ?', [JSON.stringify(['学科提分']), b.customerId]);

    const preview = ok(
      await h.req('POST', '/api/customers/merge', { as: ADMIN, body: { keepId: a.customerId, mergeId: b.customerId, dryRun: true } }),
      'preview',
    );
    expect(preview).toMatchObject({ moves: { leads: 1, followups: 1 }, profileChanges: [{ field: 'concerns', before: [], after: ['学科提分'] }] });
    expect(await h.count('`lead`', 'customerId = ?', [b.customerId])).toBe(1); // a preview moves nothing
    const merged = await h.req('POST', '/api/customers/merge', {
      as: ADMIN,
      body: { keepId: a.customerId, mergeId: b.customerId, dryRun: false },
      headers: { 'x-request-id': `merge-${kind}` },
    });
    expect(merged.status, merged.text).toBe(200);
    expect(await h.count('`lead`', 'customerId = ?', [a.customerId])).toBe(2);
    expect(await h.count('followup', 'customerId = ? AND leadId = ?', [a.customerId, b.id])).toBe(1);
    expect(await h.count('customer', 'id = ? AND deletedAt IS NOT NULL', [b.customerId])).toBe(1);
    expect((await check('probableDuplicateCustomers')).sampleIds).not.toContain(a.customerId);
    expect((await h.req('POST', '/api/customers/merge', { as: '李静', body: { keepId: a.customerId, mergeId: b.customerId, dryRun: true } })).status).toBe(403);
    const again = await h.req('POST', '/api/customers/merge', { as: ADMIN, body: { keepId: a.customerId, mergeId: b.customerId, dryRun: true } });
    expect(again.status).toBe(404);
    expect(again.body.error.message).toContain('已删除');
  });

  it('unknown checks and bad pages are clear 4xx; reps and supervisors are refused', async () => {
    expect((await h.req('GET', '/api/data-health/noSuchCheck', { as: ADMIN })).status).toBe(404);
    expect((await h.req('GET', '/api/data-health/leadsWithoutLiveCustomer?page=0', { as: ADMIN })).status).toBe(400);
    expect((await h.req('GET', '/api/data-health', { as: '张敏' })).status).toBe(403);
    expect((await h.req('GET', '/api/data-health', { as: '李静' })).status).toBe(403);
  });

  it("the delete-spike thresholds are the admin's to set: a lower one flags fewer deletes; refused values change nothing; undo restores", async () => {
    expect(ok(await h.req('GET', '/api/settings/data-safety', { as: '黄蓉' }), 'get')).toEqual({ deleteSpikeCount: 50, deleteSpikeMinutes: 10 });
    expect((await h.req('PUT', '/api/settings/data-safety', { as: '黄蓉', body: { deleteSpikeCount: 5, deleteSpikeMinutes: 10 } })).status).toBe(403);
    const bad = await h.req('PUT', '/api/settings/data-safety', { as: ADMIN, body: { deleteSpikeCount: 1, deleteSpikeMinutes: 10 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('删除条数至少为 5');
    const from = h.clock.now();
    ok(await h.req('PUT', '/api/settings/data-safety', { as: ADMIN, body: { deleteSpikeCount: 5, deleteSpikeMinutes: 30 } }), 'put');
    for (let i = 0; i < 5; i++) ok(await h.req('DELETE', `/api/leads/${(await lead()).id}`, { as: ADMIN }), 'delete');
    expect(await check('deleteSpikes')).toMatchObject({ status: 'error', count: 1, sampleIds: [(await h.user(ADMIN)).id] });
    const undo = ok(
      await h.req('POST', '/api/undo', {
        as: ADMIN,
        body: { from: new Date(from).toISOString(), to: new Date(h.clock.now()).toISOString(), entity: 'company', dryRun: false },
      }),
      'undo',
    );
    expect(undo.perField).toMatchObject({ 'company.dataSafety': 1 });
    expect(ok(await h.req('GET', '/api/settings/data-safety', { as: ADMIN }), 'get')).toEqual({ deleteSpikeCount: 50, deleteSpikeMinutes: 10 });
    expect(await check('deleteSpikes')).toMatchObject({ status: 'ok', count: 0 });
  });
});
