import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, type SecondCompany } from '../support/harness';

/** Tables whose rows a request could create or change, for "changes nothing" (all companies). */
const TABLES = [
  'company',
  'app_user',
  'org_unit',
  'customer',
  '`lead`',
  'followup',
  'journey_event',
  'audit_log',
  'script',
  'script_pick',
  'routing_pool',
  'routing_pool_member',
  'routing_rule_set',
  'routing_decision',
  'intake_channel',
  'intake_record',
  'content_item',
  'content_queue',
  'import_job',
  'conversation',
  'channel_spend',
  'alarm',
  'alarm_message',
  'callback_receipt',
  'customer_transfer',
  'directory_sync_run',
  'sign_in_link',
  'routing_experiment',
  'lead_signal',
  'entry_points',
];

/** Path parameters that are not ids of our records: a per-company version number, WeCom's id, the open intake code. */
/** Path parameters that are not record ids (a version number, a platform's id, a channel code, a data-health check's name). */
const NOT_OUR_IDS = [
  'GET /api/data-health/:key',
  'GET /api/routing/rules/:version',
  'GET /api/wecom/external-contact/:externalUserId',
  'POST /api/intake/:code',
  'GET /api/spi/oceanengine/:code',
  'POST /api/events/in/:source',
  'GET /f/:code',
  'GET /f/:code/embed.js',
  'OPTIONS /f/:code',
  'POST /f/:code',
  'POST /api/spi/oceanengine/:code',
];

describeEachDb('tenancy: ids of another company are 404/400 and change nothing', (kind) => {
  const h = new Harness(kind, 12);
  let b: SecondCompany;
  let mine: { leadId: number; customerId: number; unitId: number };

  beforeAll(async () => {
    await h.start();
    b = await h.addSecondCompany();
    const zhang = await h.user('张敏');
    const [l] = await h.ds.query('SELECT id, customerId, orgUnitId FROM `lead` WHERE ownerId = ? AND deletedAt IS NULL ORDER BY id LIMIT 1', [zhang.id]);
    mine = { leadId: Number(l.id), customerId: Number(l.customerId), unitId: Number(l.orgUnitId) };
  }, 60_000);
  afterAll(() => h.stop());

  /** A failed customer transfer of the second company (retrying it from the first company must be a 404). */
  const otherTransferId = async () => {
    const at = Date.now();
    await h.ds.query(
      `INSERT INTO customer_transfer (companyId, kind, handoverUserId, takeoverUserId, handoverPlatformId, takeoverPlatformId, externalUserId, status,
        attempts, nextAttemptAt, createdAt, updatedAt) VALUES (?, 'resigned', ?, ?, 'lintao', 'hanmei', 'wmOther', 'failed', 1, ?, ?, ?)`,
      [b.seed.companyId, b.ownerId, b.ownerId, at, at, at],
    );
    return Number((await h.ds.query('SELECT MAX(id) AS id FROM customer_transfer'))[0].id);
  };

  /** A sync run of the second company waiting in review (applying or cancelling it from the first company must be a 404). */
  let syncRunId: number | null = null;
  const otherSyncRunId = async () => {
    if (syncRunId !== null) return syncRunId;
    const at = Date.now();
    await h.ds.query(
      `INSERT INTO directory_sync_run (companyId, activeCompanyId, platform, status, origin, notBefore, createdAt, updatedAt)
        VALUES (?, ?, 'wecom', 'review', 'manual', ?, ?, ?)`,
      [b.seed.companyId, b.seed.companyId, at, at, at],
    );
    syncRunId = Number((await h.ds.query('SELECT MAX(id) AS id FROM directory_sync_run'))[0].id);
    return syncRunId;
  };

  /** Every row of every table (ids, times, values) — a request that "changes nothing" leaves this exactly equal. */
  const snapshot = async () => {
    const out: Record<string, unknown> = {};
    for (const t of TABLES) out[t] = await h.ds.query(`SELECT * FROM ${t} ORDER BY id`);
    return JSON.stringify(out);
  };

  it('the second company is seeded with its own people, leads, script, pool, channel and more', async () => {
    expect(b.seed.companyId).not.toBe(h.seed.companyId);
    for (const [table, id] of [
      ['`lead`', b.leadId],
      ['customer', b.customerId],
      ['followup', b.followupId],
      ['script', b.scriptId],
      ['routing_pool', b.poolId],
      ['org_unit', b.orgUnitId],
      ['intake_channel', b.channelId],
      ['content_item', b.contentItemId],
      ['content_queue', b.contentQueueId],
      ['import_job', b.importId],
      ['script_pick', b.scriptPickId],
      ['app_user', b.ownerId],
    ] as const) {
      expect(await h.count(table, 'id = ? AND companyId = ?', [id, b.seed.companyId]), table).toBe(1);
    }
    // Its own users see their own company only.
    const theirs = await h.req('GET', '/api/leads?pageSize=100', { as: '远航管理员' });
    expect(theirs.body.total).toBe(await h.count('`lead`', 'companyId = ? AND deletedAt IS NULL', [b.seed.companyId]));
    expect((await h.req('GET', '/api/users', { as: '远航管理员' })).body.items.map((u: any) => u.name).sort()).toEqual(
      ['宋佳', '林涛', '郝运', '远航管理员', '韩梅', '魏来'].sort(),
    );
  });

  it("every route that takes an id answers 404 or 400 for the other company's id, and nothing changes", async () => {
    type Ask = [as: string, method: string, path: string, body?: unknown, headers?: Record<string, string>];
    const key = (n: number) => ({ 'idempotency-key': `tenancy-${kind}-${n}` });
    const mineSource = await h.req('POST', '/api/event-sources', { as: '系统管理员', body: { code: 'fin-mine', name: '财务', kind: 'finance' } });
    await h.ds.query(
      `INSERT INTO inbound_event (companyId, sourceId, eventId, kind, payloadHash, payload, status, reason, customerId, leadId, occurredAt, receivedAt)
       VALUES (?, ?, 'mine-1', 'finance', ?, '{"id":"mine-1","amount":1,"phone":"13700008888"}', 'parked', '找不到客户', NULL, NULL, 0, 0)`,
      [h.seed.companyId, mineSource.body.id, '0'.repeat(64)],
    );
    const mineHook = (await h.req('POST', '/api/webhooks', { as: '系统管理员', body: { url: 'https://mine.example.com/hook', events: ['lead.created'] } })).body
      .id;
    const mineParked = Number((await h.ds.query("SELECT id FROM inbound_event WHERE eventId = 'mine-1'"))[0].id);
    const asks: Ask[] = [
      // leads (path)
      ['系统管理员', 'GET', `/api/leads/${b.leadId}`],
      ['系统管理员', 'PATCH', `/api/leads/${b.leadId}`, { name: '改名' }],
      ['系统管理员', 'DELETE', `/api/leads/${b.leadId}`],
      ['系统管理员', 'POST', `/api/leads/${b.leadId}/restore`],
      ['李静', 'POST', `/api/leads/${b.leadId}/claim`],
      ['系统管理员', 'GET', `/api/leads/${b.leadId}/timeline`],
      ['系统管理员', 'GET', `/api/leads/${b.leadId}/followups`],
      ['系统管理员', 'GET', `/api/leads/${b.leadId}/audit`],
      ['系统管理员', 'GET', `/api/leads/${b.leadId}/routing`],
      ['系统管理员', 'GET', `/api/leads/${b.leadId}/signals`],
      ['系统管理员', 'GET', `/api/routing/experiments/${b.experimentId}`],
      ['系统管理员', 'GET', `/api/leads/${b.leadId}/intake`],
      ['系统管理员', 'POST', `/api/routing/queue/${b.leadId}/assign`, { ownerId: (await h.user('张敏')).id }],
      ['张敏', 'GET', `/api/script-picks?leadId=${b.leadId}`],
      // leads (query and body)
      ['系统管理员', 'GET', `/api/leads?owner=${b.ownerId}`],
      ['系统管理员', 'POST', '/api/leads', { phone: '13812340001', channel: '百度-品牌词', ownerId: b.ownerId }],
      ['系统管理员', 'PATCH', `/api/leads/${mine.leadId}`, { ownerId: b.ownerId }],
      ['系统管理员', 'POST', '/api/followups', { leadId: b.leadId, action: '已电话沟通' }, key(1)],
      ['张敏', 'POST', '/api/followups', { leadId: mine.leadId, action: '已发送资料', scriptId: b.scriptId }, key(2)],
      // customers
      ['系统管理员', 'GET', `/api/customers/${b.customerId}`],
      ['李静', 'POST', `/api/customers/${b.customerId}/reveal-phone`],
      ['系统管理员', 'DELETE', `/api/customers/${b.customerId}`],
      ['系统管理员', 'POST', `/api/customers/${b.customerId}/restore`],
      ['系统管理员', 'GET', `/api/customers/${b.customerId}/content-queue`],
      ['系统管理员', 'GET', `/api/history/customer/${b.customerId}`],
      ['系统管理员', 'GET', `/api/history/lead/${b.leadId}`],
      ['系统管理员', 'GET', `/api/history/followup/${b.followupId}`],
      ['系统管理员', 'POST', `/api/snapshots/${b.snapshotId}/restore`, { dryRun: false }],
      ['系统管理员', 'POST', '/api/customers/merge', { keepId: mine.customerId, mergeId: b.customerId, dryRun: false }],
      ['系统管理员', 'POST', '/api/customers/merge', { keepId: b.customerId, mergeId: mine.customerId, dryRun: false }],
      ['张敏', 'POST', '/api/conversations', { customerId: b.customerId, source: 'wecom' }],
      // follow-ups, scripts, picks
      ['系统管理员', 'DELETE', `/api/followups/${b.followupId}`],
      ['系统管理员', 'POST', `/api/followups/${b.followupId}/restore`],
      ['系统管理员', 'PATCH', `/api/scripts/${b.scriptId}`, { title: '改标题' }],
      ['系统管理员', 'DELETE', `/api/scripts/${b.scriptId}`],
      ['系统管理员', 'POST', `/api/scripts/${b.scriptId}/restore`],
      ['张敏', 'POST', `/api/script-picks/${b.scriptPickId}/sent`],
      // routing: pools, org units, members, rules
      ['系统管理员', 'PUT', `/api/routing/pools/${b.poolId}`, { name: '改池', orgUnitId: mine.unitId, members: [] }],
      ['系统管理员', 'POST', '/api/routing/pools', { name: '新池', orgUnitId: b.orgUnitId, members: [] }],
      ['系统管理员', 'POST', '/api/routing/pools', { name: '新池', orgUnitId: mine.unitId, members: [{ userId: b.ownerId, weight: 1 }] }],
      ['系统管理员', 'PUT', '/api/routing/rules', { rules: [], defaultPoolId: b.poolId }],
      ['系统管理员', 'POST', `/api/routing/experiments/${b.experimentId}/stop`, { reason: '越权' }],
      // metrics filters (company-wide roles: 404)
      ['黄蓉', 'GET', `/api/metrics/kpis?unitId=${b.orgUnitId}`],
      ['黄蓉', 'GET', `/api/metrics/kpis?repId=${b.ownerId}`],
      ['黄蓉', 'GET', `/api/metrics/rep-battle?unitId=${b.orgUnitId}`],
      // intake channels, content, imports
      ['系统管理员', 'PATCH', `/api/intake-channels/${b.channelId}`, { name: '改名' }],
      ['系统管理员', 'GET', `/api/intake-channels/${b.channelId}/form-qr`],
      ['系统管理员', 'DELETE', `/api/content/items/${b.contentItemId}`],
      ['系统管理员', 'POST', `/api/content-queue/${b.contentQueueId}/sent`],
      ['系统管理员', 'GET', `/api/imports/${b.importId}`],
      // integrations: sources, parked events, and a customer of theirs named when resolving one of ours
      ['系统管理员', 'PATCH', `/api/event-sources/${b.eventSourceId}`, { rotateSecret: true }],
      ['系统管理员', 'POST', `/api/inbound-events/${b.parkedEventId}/resolve`, { customerId: mine.customerId }],
      ['系统管理员', 'POST', `/api/inbound-events/${b.parkedEventId}/dismiss`, { reason: '测试' }],
      ['系统管理员', 'POST', `/api/inbound-events/${mineParked}/resolve`, { customerId: b.customerId }],
      ['系统管理员', 'PATCH', `/api/webhooks/${b.webhookId}`, { active: false }],
      ['系统管理员', 'PATCH', `/api/partners/${b.partnerId}`, { rotateKey: true }],
      ['系统管理员', 'GET', `/api/consistency/runs/${b.consistencyRunId}`],
      ['系统管理员', 'POST', '/api/consistency/runs', { sourceId: b.eventSourceId }],
      ['李静', 'POST', `/api/partner-referrals/${b.referralId}/approve`],
      ['李静', 'POST', `/api/partner-referrals/${b.referralId}/reject`, { reason: '测试' }],
      ['系统管理员', 'DELETE', `/api/webhooks/${b.webhookId}`],
      ['系统管理员', 'GET', `/api/webhooks/${b.webhookId}/deliveries`],
      ['系统管理员', 'POST', `/api/webhooks/${b.webhookId}/ping`],
      ['系统管理员', 'POST', `/api/webhooks/${b.webhookId}/deliveries/${b.webhookDeliveryId}/replay`],
      ['系统管理员', 'POST', `/api/webhooks/${mineHook}/deliveries/${b.webhookDeliveryId}/replay`],
      // the same ids asked by a rep (张敏) and a supervisor (李静): scope checks must not come before the company check
      ['张敏', 'GET', `/api/leads/${b.leadId}`],
      ['李静', 'GET', `/api/leads/${b.leadId}`],
      ['张敏', 'PATCH', `/api/leads/${b.leadId}`, { name: '改名' }],
      ['李静', 'PATCH', `/api/leads/${b.leadId}`, { name: '改名' }],
      ['李静', 'DELETE', `/api/leads/${b.leadId}`],
      ['张敏', 'GET', `/api/leads/${b.leadId}/timeline`],
      ['李静', 'GET', `/api/leads/${b.leadId}/followups`],
      ['张敏', 'POST', '/api/followups', { leadId: b.leadId, action: '已电话沟通' }, key(3)],
      ['李静', 'POST', '/api/followups', { leadId: b.leadId, action: '已电话沟通' }, key(4)],
      ['李静', 'DELETE', `/api/followups/${b.followupId}`],
      ['张敏', 'DELETE', `/api/followups/${b.followupId}`],
      ['张敏', 'GET', `/api/customers/${b.customerId}`],
      ['李静', 'GET', `/api/customers/${b.customerId}`],
      ['张敏', 'GET', `/api/customers/${b.customerId}/content-queue`],
      ['李静', 'GET', `/api/customers/${b.customerId}/content-queue`],
      ['张敏', 'POST', `/api/content-queue/${b.contentQueueId}/sent`],
      ['李静', 'POST', `/api/content-queue/${b.contentQueueId}/sent`],
      ['李静', 'GET', `/api/script-picks?leadId=${b.leadId}`],
      ['李静', 'POST', `/api/script-picks/${b.scriptPickId}/sent`],
      ['李静', 'POST', '/api/followups', { leadId: mine.leadId, action: '已发送资料', scriptId: b.scriptId }, key(5)],
      ['李静', 'POST', `/api/routing/queue/${b.leadId}/assign`, { ownerId: (await h.user('张敏')).id }],
      // people
      ['系统管理员', 'PATCH', `/api/users/${b.ownerId}`, { active: false }],
      ['系统管理员', 'PATCH', `/api/users/${(await h.user('张敏')).id}`, { orgUnitId: b.orgUnitId }],
      ['系统管理员', 'PATCH', `/api/users/${(await h.user('张敏')).id}`, { managerId: b.ownerId }],
      ['系统管理员', 'PATCH', `/api/users/${b.ownerId}`, { routing: { cap: 1 } }],
      ['李静', 'PATCH', `/api/users/${b.ownerId}`, { routing: { cap: 1 } }],
      ['系统管理员', 'PATCH', `/api/users/${(await h.user('张敏')).id}`, { routing: { poolId: b.poolId, cap: 1 } }],
      ['系统管理员', 'GET', `/api/users/${b.ownerId}`],
      ['李静', 'GET', `/api/users/${b.ownerId}`],
      ['系统管理员', 'GET', `/api/users?orgUnitId=${b.orgUnitId}`],
      ['系统管理员', 'POST', `/api/users/${b.ownerId}/reassign`, { toUserId: (await h.user('张敏')).id, leads: 'all' }],
      ['系统管理员', 'POST', `/api/users/${(await h.user('陈晨')).id}/reassign`, { toUserId: b.ownerId, leads: 'all' }],
      ['系统管理员', 'POST', `/api/users/${(await h.user('陈晨')).id}/reassign`, { toUserId: (await h.user('张敏')).id, leads: [b.leadId] }],
      ['系统管理员', 'GET', `/api/users/transfers?userId=${b.ownerId}`],
      ['系统管理员', 'GET', `/api/leaderboard/entries?userId=${b.ownerId}`],
      ['系统管理员', 'POST', '/api/users/transfers/retry', { ids: [await otherTransferId()] }],
      ['系统管理员', 'POST', '/api/users/transfers/retry', { takeoverUserId: b.ownerId }],
      // sign-in links for another company's user
      ['系统管理员', 'POST', `/api/users/${b.ownerId}/sign-in-link`, {}],
      // directory sync runs
      ['系统管理员', 'GET', `/api/directory/sync/${await otherSyncRunId()}`],
      ['系统管理员', 'POST', `/api/directory/sync/${await otherSyncRunId()}/apply`],
      ['系统管理员', 'POST', `/api/directory/sync/${await otherSyncRunId()}/cancel`],
    ];
    // Every authenticated route with an id in its path is asked at least once (a new one without a case fails here).
    const pattern = (route: string) => {
      const [m, p] = route.split(' ');
      return { route, m, re: new RegExp(`^${p.replace(/:[A-Za-z]+/g, '[^/?]+')}(\\?.*)?$`) };
    };
    const withIds = h
      .routes()
      .filter((r) => r.includes('/api/') && r.includes(':') && !NOT_OUR_IDS.includes(r))
      .map(pattern);
    const unasked = withIds.filter((p) => !asks.some(([, m, path]) => m === p.m && p.re.test(path))).map((p) => p.route);
    expect(withIds.length).toBeGreaterThan(25);
    expect(unasked, 'routes taking an id with no tenancy case').toEqual([]);

    const wrong: string[] = [];
    for (const [as, method, path, body, headers] of asks) {
      const before = await snapshot();
      const r = await h.req(method, path, { as, body, headers });
      if (r.status !== 404 && r.status !== 400) wrong.push(`${as} ${method} ${path}: ${r.status} ${r.text.slice(0, 120)}`);
      else expect(r.body.error.message, path).toMatch(/[\u4e00-\u9fa5]/);
      if ((await snapshot()) !== before) wrong.push(`${as} ${method} ${path}: changed rows`);
    }
    expect(wrong).toEqual([]);
  });

  it("a rep and a supervisor looking up another company's customer by phone learn nothing, and nothing is recorded", async () => {
    const [other] = await h.ds.query('SELECT phone, name FROM customer WHERE id = ?', [b.customerId]);
    const otherLeads = (await h.ds.query('SELECT id FROM `lead` WHERE companyId = ?', [b.seed.companyId])).map((l: any) => Number(l.id));
    for (const as of ['张敏', '李静']) {
      const before = await snapshot();
      const r = await h.req('GET', `/api/customers/lookup?phone=${other.phone}`, { as });
      expect({ as, status: r.status, customer: r.body.customer }).toEqual({ as, status: 200, customer: null });
      if (other.name) expect(r.text, as).not.toContain(other.name);
      const list = await h.req('GET', '/api/leads?pageSize=100', { as });
      expect(list.status).toBe(200);
      expect(
        list.body.items.filter((l: any) => otherLeads.includes(l.id)),
        as,
      ).toEqual([]);
      expect(await snapshot(), `${as}: changed rows`).toBe(before);
    }
    // A supervisor's metrics filter outside their subtree is a 403 (by design, metrics/scope.ts) — the very same answer
    // for the other company's unit or rep as for an id that exists nowhere, so it tells nothing about the other company.
    for (const [param, id] of [
      ['unitId', b.orgUnitId],
      ['repId', b.ownerId],
    ] as const) {
      const theirs = await h.req('GET', `/api/metrics/kpis?${param}=${id}`, { as: '李静' });
      const nobody = await h.req('GET', `/api/metrics/kpis?${param}=999999`, { as: '李静' });
      expect({ param, status: theirs.status, body: theirs.body }).toEqual({ param, status: 403, body: nobody.body });
    }
  });

  it("a timeline never shows another company's script title, even for a stored id", async () => {
    const [title] = await h.ds.query('SELECT title FROM script WHERE id = ?', [b.scriptId]);
    const zhang = await h.user('张敏');
    const [lead] = await h.ds.query('SELECT customerId FROM `lead` WHERE id = ?', [mine.leadId]);
    // A follow-up stored before the check existed, naming the other company's script.
    await h.ds.query(
      `INSERT INTO followup (companyId, leadId, customerId, authorId, action, conclusion, nextStepAt, nextStepAction, source, transcript, scriptId,
         signedCourse, clientRequestId, requestHash, createdAt, deletedAt) VALUES (?, ?, ?, ?, '已发送资料', '旧数据', NULL, NULL, 'typed', NULL, ?, NULL, ?, 'x', ?, NULL)`,
      [h.seed.companyId, mine.leadId, lead.customerId, zhang.id, b.scriptId, `tenancy-old-${kind}`, h.clock.now()],
    );
    const t = await h.req('GET', `/api/leads/${mine.leadId}/timeline`, { as: '张敏' });
    expect(t.status).toBe(200);
    const entry = t.body.items.find((e: any) => e.scriptId === b.scriptId);
    expect(entry).toBeTruthy();
    expect(t.text).not.toContain(title.title);
  });

  it("the other company's own users still reach their records (the checks are by company, not blanket)", async () => {
    expect((await h.req('GET', `/api/leads/${b.leadId}/timeline`, { as: '远航管理员' })).status).toBe(200);
    expect((await h.req('GET', `/api/imports/${b.importId}`, { as: '远航管理员' })).status).toBe(200);
    const f = await h.req('POST', '/api/followups', {
      as: '远航管理员',
      headers: { 'idempotency-key': `tenancy-${kind}-own` },
      body: { leadId: b.leadId, action: '已发送资料', scriptId: b.scriptId },
    });
    expect(f.status).toBe(201);
    const [title] = await h.ds.query('SELECT title FROM script WHERE id = ?', [b.scriptId]);
    const t = await h.req('GET', `/api/leads/${b.leadId}/timeline`, { as: '远航管理员' });
    expect(t.body.items.some((e: any) => e.scriptTitle === title.title)).toBe(true);
  });
});
