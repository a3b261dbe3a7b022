import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlarmEngine, backfillTimers } from '../../server/src/alarms';
import { handleTap } from '../../server/src/alarms/tap';
import { AlarmMessage } from '../../server/src/alarms/alarm.entities';
import { describeEachDb, Harness } from '../support/harness';

const H = 3600_000;

describeEachDb('a deleted lead grants nothing: no customer view, phone reveal, content queue or alarm tap through it', (kind) => {
  let h: Harness;

  beforeAll(async () => {
    h = await new Harness(kind, 40).start();
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  /** A customer of 陈晨's whose only lead, in 李静's team, is soft-deleted (as DELETE /api/leads/:id leaves it). */
  async function customerOnlyThroughADeletedLead(): Promise<{ customerId: number; leadId: number }> {
    const chen = await h.user('陈晨');
    const [row] = await h.ds.query(
      `SELECT l.id, l.customerId FROM \`lead\` l WHERE l.ownerId = ? AND l.deletedAt IS NULL
          AND (SELECT COUNT(*) FROM \`lead\` o WHERE o.customerId = l.customerId) = 1 ORDER BY l.id LIMIT 1`,
      [chen.id],
    );
    return { customerId: Number(row.customerId), leadId: Number(row.id) };
  }

  it('a supervisor sees, reveals and reads the content queue of a customer through a live lead, and not once it is deleted', async () => {
    const { customerId, leadId } = await customerOnlyThroughADeletedLead();
    expect((await h.req('GET', `/api/customers/${customerId}`, { as: '李静' })).status).toBe(200);
    expect((await h.req('GET', `/api/customers/${customerId}/content-queue`, { as: '李静' })).status).toBe(200);
    expect((await h.req('DELETE', `/api/leads/${leadId}`, { as: '李静' })).status).toBe(200);
    const before = await h.count('audit_log', "action = 'reveal' AND entityId = ?", [customerId]);
    const reveal = await h.req('POST', `/api/customers/${customerId}/reveal-phone`, { as: '李静' });
    expect(reveal.status).toBe(404);
    expect(reveal.text).not.toMatch(/1[3-9]\d{9}/);
    expect(await h.count('audit_log', "action = 'reveal' AND entityId = ?", [customerId])).toBe(before);
    expect((await h.req('GET', `/api/customers/${customerId}`, { as: '李静' })).status).toBe(404);
    expect((await h.req('GET', `/api/customers/${customerId}/content-queue`, { as: '李静' })).status).toBe(404);
    expect((await h.req('GET', `/api/customers/${customerId}/content-queue`, { as: '陈晨' })).status).toBe(404);
  });

  it('a rep cannot tap an alarm card of a lead deleted after the card was sent', async () => {
    await backfillTimers(h.app);
    h.clock.advance(H);
    await new AlarmEngine(h.app, { leaseMs: 30_000 }).tick();
    h.clock.advance(-H);
    const cards = await h.ds.getRepository(AlarmMessage).findBy({ companyId: h.seed.companyId, kind: 'card' });
    const [card] = (
      await Promise.all(
        cards.map(async (c) => {
          const [l] = await h.ds.query('SELECT ownerId, deletedAt FROM `lead` l JOIN alarm a ON a.leadId = l.id WHERE a.id = ?', [c.alarmId]);
          return l && Number(l.ownerId) === c.recipientId && l.deletedAt === null ? [c] : [];
        }),
      )
    ).flat();
    expect(card, 'a rep got a card for their own lead').toBeTruthy();
    const [{ leadId }] = await h.ds.query('SELECT leadId FROM alarm WHERE id = ?', [card.alarmId]);
    await h.ds.query('UPDATE `lead` SET deletedAt = ? WHERE id = ?', [h.clock.now(), Number(leadId)]);
    await expect(handleTap(h.app, { companyId: h.seed.companyId, userId: card.recipientId, alarmId: card.alarmId!, key: 'done' })).rejects.toMatchObject({
      status: 403,
    });
    expect(await h.count('audit_log', "entity = 'alarm' AND entityId = ?", [card.alarmId])).toBe(0);
  });
});
