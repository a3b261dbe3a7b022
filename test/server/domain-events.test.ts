import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EntityManager } from 'typeorm';
import type { DomainEvent } from '../../server/src/events/domain-events';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';

describeEachDb('domain events run inside the change', (kind) => {
  const h = new Harness(kind, 10);
  const seen: DomainEvent['type'][] = [];
  let failOn: DomainEvent['type'] | null = null;
  let failAtCommit = false;
  beforeAll(async () => {
    await h.start();
    h.app.events.on(async (em, emitted) => {
      for (const { event: e } of emitted) await check(em, e);
    });
    const check = async (em: EntityManager, e: DomainEvent) => {
      seen.push(e.type);
      // A subscriber writes in the same transaction: prove it by reading its own uncommitted row.
      if (e.type === 'followup.created') {
        const [row] = await em.query('SELECT COUNT(*) AS n FROM followup WHERE id = ?', [e.followup.id]);
        expect(Number(row.n)).toBe(1);
        expect(e.leadBefore.firstFollowupAt).toBeNull();
        expect(e.lead.firstFollowupAt).not.toBeNull();
      }
      if (e.type === failOn) throw new Error(`subscriber failed on ${e.type}`);
      // Subscribed after the app's own: the follow-up, the lead, its audit rows and its outbox row are written when this throws.
      if (failAtCommit) {
        const [row] = await em.query('SELECT COUNT(*) AS n FROM lead_change');
        expect(Number(row.n)).toBeGreaterThan(0);
        throw new Error('last subscriber failed');
      }
    };
  });
  afterAll(() => h.stop());

  it('emits created/assigned, follow-up, reassignment, delete and restore', async () => {
    const made = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814543333', channel: '抖音-202601直播' } });
    const id = made.body.lead.id;
    await h.req('POST', '/api/followups', { as: '张敏', body: { leadId: id, action: '已电话沟通', clientRequestId: `ev-${kind}-1` } });
    const chen = await h.user('陈晨');
    await h.req('PATCH', `/api/leads/${id}`, { as: '李静', body: { ownerId: chen.id } });
    await h.req('DELETE', `/api/leads/${id}`, { as: '李静' });
    await h.req('POST', `/api/leads/${id}/restore`, { as: '李静' });
    expect(seen).toEqual(['lead.created', 'lead.assigned', 'followup.created', 'lead.updated', 'lead.assigned', 'lead.deleted', 'lead.restored']);
  });

  it('a failing subscriber rolls the whole change back', async () => {
    failOn = 'followup.created';
    const lead = (await h.req('GET', '/api/leads?owner=me&pageSize=1', { as: '张敏' })).body.items[0];
    const before = await h.count('followup');
    const r = await h.req('POST', '/api/followups', { as: '张敏', body: { leadId: lead.id, action: '已发送资料', clientRequestId: `ev-${kind}-2` } });
    expect(r.status).toBe(500);
    expect(r.body.error.message).toMatch(/服务器内部错误/);
    expect(r.text).not.toMatch(/subscriber failed/); // no internals leak
    expect(await h.count('followup')).toBe(before);
    const after = (await h.req('GET', `/api/leads/${lead.id}`, { as: '张敏' })).body;
    expect(after.lastFollowupAt).toBe(lead.lastFollowupAt);
    failOn = null;
  });

  it('a failure after the audit rows and the outbox row were written leaves none of them, nor any derived state', async () => {
    failAtCommit = true;
    const lead = (await h.req('GET', '/api/leads?owner=me&pageSize=1', { as: '张敏' })).body.items[0];
    const counts = async () => ({
      followups: await h.count('followup'),
      audit: await h.count('audit_log'),
      timers: await h.count('alarm_timer'),
      changes: await h.count('lead_change'),
      fact: (await h.ds.query('SELECT updatedAt, assignTouchAt, journeyNode FROM lead_fact WHERE leadId = ?', [lead.id]))[0],
    });
    const before = await counts();
    const r = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: {
        leadId: lead.id,
        action: '已预约试听',
        nextStep: { at: new Date(TEST_NOW + 2 * 86400e3).toISOString(), action: '试听' },
        clientRequestId: `ev-${kind}-3`,
      },
    });
    failAtCommit = false;
    expect(r.status).toBe(500);
    expect(await counts()).toEqual(before);
    // The same request once the fault is gone: stored, with its audit rows.
    const ok = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId: lead.id, action: '已预约试听', clientRequestId: `ev-${kind}-4` },
    });
    expect(ok.status).toBe(201);
    expect(await h.count('audit_log')).toBeGreaterThan(before.audit);
  });
});
