import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { WebhookReceiverFake } from '../fakes/webhook-receiver';
import { BACKOFF_MS, PAUSE_AFTER, WebhookSender } from '../../server/src/integrations/webhook-sender';

describeEachDb('outbound webhooks: signed deliveries, retries, pause, replay', (kind) => {
  const h = new Harness(kind, 0);
  const secrets: Record<string, string> = {};
  const crm = new WebhookReceiverFake(() => secrets.crm);
  const flaky = new WebhookReceiverFake(() => secrets.flaky);
  const ids: Record<string, number> = {};
  const subscribe = async (name: string, url: string, events: string[]) => {
    const r = await h.req('POST', '/api/webhooks', { as: '系统管理员', body: { url, events, description: name } });
    expect(r.status).toBe(201);
    expect(r.body.secret).toMatch(/^whsec_/);
    secrets[name] = r.body.secret;
    ids[name] = r.body.id;
  };

  beforeAll(async () => {
    await Promise.all([h.start(), crm.start(), flaky.start()]);
    await subscribe('crm', crm.url, ['lead.created', 'followup.created', 'lead.won', 'lead.stage_changed']);
    await subscribe('flaky', flaky.url, ['lead.created']);
  });
  afterAll(async () => {
    await Promise.all([h.stop(), crm.stop(), flaky.stop()]);
  });

  it('a change queues its events in the same transaction; each arrives signed, with masked phones, and is logged', async () => {
    const lead = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915448001', name: '周妈妈', channel: '公众号-寒假讲座推文' } });
    expect(lead.status).toBe(201);
    expect(await h.count('webhook_delivery', "eventType = 'lead.created'")).toBe(2); // one per subscriber, before any send
    await h.webhookSender.runOnce();
    const [created] = crm.ofType('lead.created');
    expect(created.signatureOk).toBe(true);
    expect(created.headers['x-lifeline-event']).toBe('lead.created');
    expect(created.event).toMatchObject({
      type: 'lead.created',
      data: { lead: { id: lead.body.lead.id, channel: '公众号-寒假讲座推文' }, customer: { name: '周妈妈', phone: '139****8001' } },
    });
    expect(JSON.stringify(crm.received)).not.toContain('13915448001');
    const fu = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId: lead.body.lead.id, action: '已电话沟通', conclusion: '约了周六试听' },
      headers: { 'Idempotency-Key': `wh-${kind}-1` },
    });
    expect(fu.status).toBe(201);
    await h.webhookSender.runOnce();
    expect(crm.ofType('followup.created')[0].event.data.followup).toMatchObject({ action: '已电话沟通', conclusion: '约了周六试听' });
    expect(crm.ofType('lead.stage_changed')[0].event.data.changes[0]).toMatchObject({ field: 'journeyNode', after: '首次触达' });
    const log = await h.req('GET', `/api/webhooks/${ids.crm}/deliveries`, { as: '系统管理员' });
    expect(log.body.items.every((d: any) => d.state === 'delivered' && d.lastStatus === 204 && d.log.length === 1)).toBe(true);
  });

  it('a failing subscriber is retried with backoff, paused after repeated failures with an alarm, and nothing is lost', async () => {
    flaky.reply = { status: 500, text: 'db down' };
    for (let i = 0; i < 3; i++) await h.req('POST', '/api/leads', { as: '张敏', body: { phone: `1391544810${i}`, channel: '公众号-寒假讲座推文' } });
    await h.webhookSender.runOnce();
    const first = await h.req('GET', `/api/webhooks/${ids.flaky}/deliveries?state=pending`, { as: '系统管理员' });
    expect(first.body.items.length).toBeGreaterThanOrEqual(3);
    expect(first.body.items[0]).toMatchObject({ attempts: 1, lastStatus: 500, lastError: 'HTTP 500：db down' });
    expect(first.body.items[0].nextAttemptAt).toBe(h.clock.now() + BACKOFF_MS[0]);
    let guard = 0;
    while ((await h.req('GET', '/api/webhooks', { as: '系统管理员' })).body.items.find((s: any) => s.id === ids.flaky).paused === false && guard++ < 20) {
      h.clock.advance(BACKOFF_MS[3]);
      await h.webhookSender.runOnce();
    }
    const sub = (await h.req('GET', '/api/webhooks', { as: '系统管理员' })).body.items.find((s: any) => s.id === ids.flaky);
    expect(sub).toMatchObject({ paused: true });
    // Up to four sends of one subscriber are in flight at once, so the pause may come a few failures past the threshold.
    expect(Number(/连续 (\d+) 次发送失败（最近一次：HTTP 500：db down）/.exec(sub.pauseReason)![1])).toBeGreaterThanOrEqual(PAUSE_AFTER);
    const alarms = await h.ds.query("SELECT payload FROM alarm_message WHERE dedupeKey LIKE 'webhook-paused:%'");
    expect(alarms.length).toBe(1);
    expect(JSON.parse(alarms[0].payload)).toMatchObject({ title: 'Webhook 已自动暂停', page: 'integrations' });
    // Paused: nothing is sent, new events still queue.
    const sentBefore = flaky.received.length;
    await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915448109', channel: '公众号-寒假讲座推文' } });
    h.clock.advance(BACKOFF_MS[7]);
    await h.webhookSender.runOnce();
    expect(flaky.received.length).toBe(sentBefore);
    // The receiver is fixed and the admin resumes: every queued event arrives, each once.
    flaky.reply = { status: 200, text: 'ok' };
    const resumed = await h.req('PATCH', `/api/webhooks/${ids.flaky}`, { as: '系统管理员', body: { active: true } });
    expect(resumed.body).toMatchObject({ paused: false, changed: ['pausedAt'] });
    h.clock.advance(BACKOFF_MS[7]);
    await h.webhookSender.runOnce();
    const delivered = await h.count('webhook_delivery', "subscriptionId = ? AND state = 'delivered'", [ids.flaky]);
    expect(delivered).toBe(await h.count('webhook_delivery', 'subscriptionId = ?', [ids.flaky]));
    const okIds = flaky.received.filter((r, i, all) => all.findIndex((x) => x.event.id === r.event.id) === i);
    expect(okIds.length).toBe(delivered);
  });

  it('a replay sends the same event id again; a slow subscriber does not hold up the others', async () => {
    const log = await h.req('GET', `/api/webhooks/${ids.crm}/deliveries`, { as: '系统管理员' });
    const d = log.body.items[0];
    const replay = await h.req('POST', `/api/webhooks/${ids.crm}/deliveries/${d.id}/replay`, { as: '系统管理员' });
    expect(replay.body).toMatchObject({ state: 'pending', attempts: 0 });
    await h.webhookSender.runOnce();
    expect(crm.received.filter((r) => r.event.id === d.eventId).length).toBe(2);
    expect((await h.req('POST', `/api/webhooks/${ids.crm}/deliveries/${d.id}/replay`, { as: '系统管理员' })).status).toBe(200);
    await h.webhookSender.runOnce();

    flaky.reply = { status: 200, text: 'ok', delayMs: 700 };
    await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915448201', channel: '公众号-寒假讲座推文' } });
    const started = Date.now();
    const before = crm.received.length;
    await h.webhookSender.pump();
    while (crm.received.length === before && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 10));
    const fastMs = Date.now() - started;
    await h.webhookSender.runOnce();
    expect(fastMs).toBeLessThan(400); // the crm subscriber got its event while the slow one was still answering
    flaky.reply = { status: 200, text: 'ok' };
  });

  it("a slow receiver's backlog does not hide the other receivers' deliveries from the sender", async () => {
    // 300 due deliveries of the slow receiver, all older than anything else: more than one claim query returns.
    const at = h.clock.now() - 60_000;
    const rows = Array.from({ length: 300 }, (_, i) => [
      h.seed.companyId,
      ids.flaky,
      `evt_backlog_${kind}_${i}`,
      'lead.created',
      '{}',
      'pending',
      0,
      at,
      '[]',
      at,
      at,
    ]);
    for (const r of rows) {
      await h.ds.query(
        'INSERT INTO webhook_delivery (companyId, subscriptionId, eventId, eventType, payload, state, attempts, nextAttemptAt, log, createdAt, updatedAt) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
        r,
      );
    }
    flaky.reply = { status: 200, text: 'ok', delayMs: 300 };
    const before = crm.received.length;
    await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915448401', channel: '公众号-寒假讲座推文' } });
    const started = Date.now();
    await h.webhookSender.pump();
    while (crm.received.length === before && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 10));
    expect(crm.received.length).toBe(before + 1);
    expect(Date.now() - started).toBeLessThan(250); // sent in the first round, beside the slow one's first four
    flaky.reply = { status: 200, text: 'ok' };
    await h.webhookSender.runOnce();
    expect(await h.count('webhook_delivery', "state = 'pending'")).toBe(0);
  });

  it('refuses loopback targets unless allowed, pings, and keeps subscriptions to admins', async () => {
    const strict = new WebhookSender(h.app, { allowPrivate: false });
    const ping = await h.req('POST', `/api/webhooks/${ids.crm}/ping`, { as: '系统管理员' });
    expect(ping.status).toBe(201);
    await strict.runOnce();
    const [row] = await h.ds.query('SELECT state, lastError FROM webhook_delivery WHERE id = ?', [ping.body.id]);
    expect(row.lastError).toContain('内网');
    await h.webhookSender.runOnce(); // not yet due (backoff): the ping waits
    h.clock.advance(BACKOFF_MS[0]);
    await h.webhookSender.runOnce();
    expect(crm.ofType('webhook.ping').length).toBe(1);
    expect((await h.req('GET', '/api/webhooks', { as: '黄蓉' })).status).toBe(403);
    const bad = await h.req('POST', '/api/webhooks', { as: '系统管理员', body: { url: 'ftp://x', events: ['lead.created'] } });
    expect(bad.status).toBe(400);
    expect((await h.req('POST', '/api/webhooks', { as: '系统管理员', body: { url: crm.url, events: ['lead.nope'] } })).status).toBe(400);
    const gone = await h.req('DELETE', `/api/webhooks/${ids.flaky}`, { as: '系统管理员' });
    expect(gone.body).toEqual({ id: ids.flaky, deleted: true });
    const queued = await h.count('webhook_delivery', 'subscriptionId = ?', [ids.flaky]);
    await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915448301', channel: '公众号-寒假讲座推文' } });
    expect(await h.count('webhook_delivery', 'subscriptionId = ?', [ids.flaky])).toBe(queued);
    const audit = await h.ds.query("SELECT * FROM audit_log WHERE entity = 'webhook_subscription'");
    expect(JSON.stringify(audit)).not.toContain('whsec_');
  });
});
