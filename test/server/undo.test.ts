import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_NOW, type Res } from '../support/harness';
import { storedAndRecomputed } from '../support/derived-state';
import { insertRowsPlain } from '../../server/src/db/rows';
import { Customer } from '../../server/src/customers/customer.entity';
import { Lead } from '../../server/src/leads/lead.entity';
import { User } from '../../server/src/users/user.entity';
import { recordLeadChanges } from '../../server/src/projector/outbox';
import { alarmDeleteSpikes } from '../../server/src/health/delete-spikes';
import { AlarmEngine } from '../../server/src/alarms';

/** Runs `work` over `items`, `width` at a time (requests from one busy person's browser tabs and scripts). */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

const ADMIN = '系统管理员';
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The business tables as rows, bookkeeping (updatedAt, authVersion) left out: what "the exact prior state" compares. */
const TABLES = ['customer', '`lead`', 'followup', 'app_user', 'routing_pool', 'routing_pool_member', 'script', 'intake_channel', 'content_item'];
const SKIP = new Set(['updatedAt', 'authVersion']);
async function businessState(h: Harness) {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    const order = t === 'routing_pool_member' ? 'poolId, position' : 'id';
    const rows: Record<string, unknown>[] = await h.ds.query(`SELECT * FROM ${t} WHERE companyId = ? ORDER BY ${order}`, [h.seed.companyId]);
    // Pool members are replaced as a list: compared by content, not row id.
    const skip = (k: string) => SKIP.has(k) || (t === 'routing_pool_member' && k === 'id');
    out[t] = rows.map((r) => Object.fromEntries(Object.entries(r).flatMap(([k, v]) => (skip(k) ? [] : [[k, v === null ? null : String(v)]]))));
  }
  const settings = await h.req('GET', '/api/settings/vocabulary', { as: ADMIN });
  const weights = await h.req('GET', '/api/scoring/weights', { as: ADMIN });
  const alarms = await h.req('GET', '/api/alarms/settings', { as: ADMIN });
  const rules = await h.req('GET', '/api/routing/rules', { as: ADMIN });
  out.settings = [
    settings.body,
    weights.body,
    alarms.body,
    { rules: rules.body.rules, defaultPoolId: rules.body.defaultPoolId, protective: rules.body.protective },
  ];
  return out;
}

/**
 * Undo from the audit (docs/data-safety.md): the origin incident replayed (one person deletes 3,000 customers and edits
 * 500 leads; one call brings everything back), every kind of change the API allows undone to the exact prior state,
 * conflicts reported not overwritten, an undo undone, and time travel.
 */
describeEachDb('undo and time travel', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const id = async (name: string) => (await h.user(name)).id;
  let phone = 13700000000;

  it('every kind of change the API allows, undone in one call, leaves every business row as it was', async () => {
    ok(await h.req('GET', '/api/scripts', { as: ADMIN }), 'scripts'); // the company's library is materialised on first read
    await h.settle();
    h.clock.set(TEST_NOW + 10 * MIN);
    const before = await businessState(h);
    const from = h.clock.now();
    const zhang = await id('张敏');
    const liu = await id('刘洋');
    const unit = Number((await h.ds.query('SELECT orgUnitId FROM app_user WHERE id = ?', [zhang]))[0].orgUnitId);
    // Leads, customers, follow-ups.
    const created = ok(await h.req('POST', '/api/leads', { as: ADMIN, body: { phone: String(++phone), channel: '抖音-202601直播', ownerId: zhang } }), 'lead');
    const existing = Number(
      (
        await h.ds.query("SELECT id FROM `lead` WHERE companyId = ? AND ownerId = ? AND deletedAt IS NULL AND status <> 'won' ORDER BY id LIMIT 1", [
          h.seed.companyId,
          zhang,
        ])
      )[0].id,
    );
    ok(
      await h.req('PATCH', `/api/leads/${existing}`, {
        as: ADMIN,
        body: { name: '改过的妈妈', city: '无锡', grade: '初二', tags: ['改'], ownerId: liu, assignReason: '测试改派' },
      }),
      'patch',
    );
    const fu = ok(
      await h.req('POST', '/api/followups', {
        as: ADMIN,
        body: { leadId: existing, action: '已电话沟通', conclusion: '约了周六试听', source: 'typed' },
        headers: { 'Idempotency-Key': `undo-${kind}-fu1` },
      }),
      'followup',
    );
    const oldFu = (await h.ds.query('SELECT id FROM followup WHERE companyId = ? AND deletedAt IS NULL ORDER BY id LIMIT 1', [h.seed.companyId]))[0];
    ok(await h.req('DELETE', `/api/followups/${oldFu.id}`, { as: ADMIN }), 'delete followup');
    ok(await h.req('DELETE', `/api/leads/${created.lead.id}`, { as: ADMIN }), 'delete lead');
    ok(await h.req('DELETE', `/api/customers/${created.lead.customerId}`, { as: ADMIN }), 'delete customer');
    // Settings, scoring, alarms, routing, scripts, users, channels, content.
    ok(
      await h.req('PUT', '/api/settings/vocabulary', { as: ADMIN, body: { quickPhrases: ['只要这一句'], requiredProfileFields: ['name'], confirm: true } }),
      'vocabulary',
    );
    const w = ok(await h.req('GET', '/api/scoring/weights', { as: ADMIN }), 'weights');
    ok(await h.req('PUT', '/api/scoring/weights', { as: ADMIN, body: { weights: w.weights.slice(1), levelA: 60, confirm: true } }), 'weights');
    ok(await h.req('PUT', '/api/alarms/settings', { as: ADMIN, body: { noFollowupHours: 60 } }), 'alarms');
    const pool = ok(
      await h.req('POST', '/api/routing/pools', { as: ADMIN, body: { name: '撤销测试池', orgUnitId: unit, members: [{ userId: zhang, weight: 1 }] } }),
      'pool',
    );
    const firstPool = (
      await h.ds.query('SELECT id, name, orgUnitId FROM routing_pool WHERE companyId = ? AND deletedAt IS NULL ORDER BY id LIMIT 1', [h.seed.companyId])
    )[0];
    ok(
      await h.req('PUT', `/api/routing/pools/${firstPool.id}`, {
        as: ADMIN,
        body: { name: '改名池', orgUnitId: Number(firstPool.orgUnitId), members: [{ userId: liu, weight: 2 }] },
      }),
      'pool put',
    );
    const rules = ok(await h.req('GET', '/api/routing/rules', { as: ADMIN }), 'rules');
    ok(await h.req('PUT', '/api/routing/rules', { as: ADMIN, body: { rules: [], defaultPoolId: pool.id, protective: rules.protective } }), 'rules put');
    const script = ok(
      await h.req('POST', '/api/scripts', {
        as: ADMIN,
        body: { category: '试听邀约', title: '撤销测试', text: '{称呼}您好', tags: [], journeyNode: null, concern: null },
      }),
      'script',
    );
    const oldScript = (await h.ds.query('SELECT id FROM script WHERE companyId = ? AND deletedAt IS NULL ORDER BY id LIMIT 1', [h.seed.companyId]))[0];
    ok(await h.req('PATCH', `/api/scripts/${oldScript.id}`, { as: ADMIN, body: { title: '改过的标题' } }), 'script patch');
    ok(await h.req('DELETE', `/api/scripts/${script.id}`, { as: ADMIN }), 'script delete');
    ok(await h.req('PATCH', `/api/users/${liu}`, { as: ADMIN, body: { role: 'supervisor' } }), 'user role');
    ok(await h.req('PATCH', `/api/users/${await id('周杰')}`, { as: ADMIN, body: { active: false } }), 'deactivate');
    ok(await h.req('POST', '/api/intake-channels', { as: ADMIN, body: { code: `undo-${kind}`, name: '撤销测试渠道', tag: '公众号-撤销' } }), 'channel');
    ok(await h.req('POST', '/api/content/items', { as: ADMIN, body: { tag: '学科提分', title: '撤销测试内容', url: 'https://example.com/a' } }), 'content');
    expect(await businessState(h)).not.toEqual(before);

    const dry = ok(
      await h.req('POST', '/api/undo', { as: ADMIN, body: { actorId: await id(ADMIN), from: iso(from), to: iso(h.clock.now()), dryRun: true } }),
      'dry run',
    );
    expect(dry.conflicts).toBe(0);
    expect(dry.perEntity).toMatchObject({
      lead: expect.any(Number),
      customer: expect.any(Number),
      followup: expect.any(Number),
      company: 4,
      app_user: expect.any(Number),
    });
    expect(await businessState(h)).not.toEqual(before); // a dry run changes nothing

    const undo = ok(
      await h.req('POST', '/api/undo', { as: ADMIN, body: { actorId: await id(ADMIN), from: iso(from), to: iso(h.clock.now()), dryRun: false } }),
      'undo',
    );
    expect(undo).toMatchObject({ dryRun: false, conflicts: 0, operationId: expect.stringMatching(/^undo-/) });
    await h.settle();
    const after = await businessState(h);
    // Rows created in the window stay, soft-deleted (nothing is ever deleted): the live rows are compared.
    const live = (s: Record<string, unknown[]>) => {
      const existed = (t: string, r: Record<string, unknown>) => before[t].some((b: any) => b.id === r.id);
      const out = Object.fromEntries(
        Object.entries(s).map(([t, rows]) => [
          t,
          t === 'settings' ? rows : (rows as Record<string, unknown>[]).filter((r) => existed(t, r) || (!r.deletedAt && r.active !== '0')),
        ]),
      );
      // A soft-deleted pool's member rows stay with it; routing never reads them.
      const pools = new Set((out.routing_pool as Record<string, unknown>[]).map((p) => p.id));
      out.routing_pool_member = (out.routing_pool_member as Record<string, unknown>[]).filter((m) => pools.has(m.poolId));
      return out;
    };
    expect(live(after)).toEqual(live(before));
    const derived = await storedAndRecomputed(h);
    expect(derived.stored).toEqual(derived.recomputed);

    // The undo is one audited operation, undone in turn: the changes come back.
    const again = ok(
      await h.req('POST', '/api/undo', { as: ADMIN, body: { operationId: undo.operationId, from: iso(from), to: iso(h.clock.now()), dryRun: false } }),
      'redo',
    );
    expect(again.reverts).toBeGreaterThan(0);
    const redone = await h.ds.query('SELECT name, city FROM customer c JOIN `lead` l ON l.customerId = c.id WHERE l.id = ?', [existing]);
    expect(redone[0]).toMatchObject({ name: '改过的妈妈', city: '无锡' });
    void fu;
  });

  /** 3,000 customers with one lead each, owned by 张敏, as an import would leave them. */
  async function seedCustomers(n: number, at: number): Promise<number[]> {
    const zhang = await h.user('张敏');
    const base = 15000000000;
    for (let i = 0; i < n; i += 500) {
      await insertRowsPlain(
        h.ds.manager,
        Customer,
        Array.from({ length: Math.min(500, n - i) }, (_, k) => ({
          companyId: h.seed.companyId,
          phone: String(base + i + k),
          name: `客户${i + k}`,
          province: '江苏',
          city: '苏州',
          carrier: null,
          grade: '初三',
          concerns: [],
          tags: [],
          createdBy: null,
          createdAt: at,
          updatedAt: at,
          deletedAt: null,
        })),
      );
    }
    const customers: { id: number }[] = await h.ds.query("SELECT id FROM customer WHERE companyId = ? AND phone LIKE '150%' ORDER BY id", [h.seed.companyId]);
    for (let i = 0; i < customers.length; i += 500) {
      await insertRowsPlain(
        h.ds.manager,
        Lead,
        customers.slice(i, i + 500).map((c) => ({
          companyId: h.seed.companyId,
          customerId: Number(c.id),
          channel: '导入-2026春季',
          campaign: null,
          ownerId: zhang.id,
          orgUnitId: zhang.orgUnitId,
          status: 'assigned' as const,
          journeyNode: '线索获取',
          score: 10,
          scoreBreakdown: [],
          lostReason: null,
          createdAt: at,
          assignedAt: at,
          claimedAt: null,
          firstFollowupAt: null,
          lastFollowupAt: null,
          nextStepDueAt: null,
          nextStepAction: null,
          signedAt: null,
          signedCourse: null,
          createdBy: null,
          updatedAt: at,
          deletedAt: null,
        })),
      );
    }
    const leads: { id: number }[] = await h.ds.query("SELECT id FROM `lead` WHERE companyId = ? AND channel = '导入-2026春季' ORDER BY id", [h.seed.companyId]);
    const ids = leads.map((l) => Number(l.id));
    await h.app.tx.run((em) => recordLeadChanges(em, h.seed.companyId, ids, at));
    await h.settle();
    return ids;
  }

  it('the incident: one person deletes 3,000 customers and edits 500 leads; one undo brings back the exact prior state', { timeout: 300_000 }, async () => {
    const t0 = TEST_NOW + 60 * MIN;
    h.clock.set(t0);
    const leadIds = await seedCustomers(3000, t0);
    const assistant = h.ds
      .getRepository(User)
      .create({ companyId: h.seed.companyId, name: '助理小周', role: 'admin', orgUnitId: null, managerId: null, active: true, createdAt: t0, updatedAt: t0 });
    await h.ds.getRepository(User).insert(assistant);
    const before = await businessState(h);

    h.clock.set(t0 + 5 * MIN);
    const from = h.clock.now();
    h.autoSettle = false;
    const customerIds: number[] = (await h.ds.query('SELECT customerId FROM `lead` WHERE id IN (' + leadIds.map(() => '?').join(',') + ')', leadIds)).map(
      (r: any) => Number(r.customerId),
    );
    const edited = leadIds.slice(0, 500);
    await inParallel(edited, 8, async (leadId) => {
      ok(await h.req('PATCH', `/api/leads/${leadId}`, { as: '助理小周', body: { city: '上海', grade: '高一', status: 'following' } }), 'edit');
    });
    await inParallel(leadIds, 8, async (leadId) => void ok(await h.req('DELETE', `/api/leads/${leadId}`, { as: '助理小周' }), 'delete lead'));
    await inParallel(
      customerIds,
      8,
      async (customerId) => void ok(await h.req('DELETE', `/api/customers/${customerId}`, { as: '助理小周' }), 'delete customer'),
    );
    h.autoSettle = true;
    await h.settle();
    expect(await h.count('customer', "phone LIKE '150%' AND deletedAt IS NULL")).toBe(0);

    // Within a minute: the watcher flags the spike, data health names the person, the admins get the bot's alarm.
    h.clock.set(h.clock.now() + 60_000);
    expect(await alarmDeleteSpikes(h.app)).toBe(2); // both admins (the assistant is one)
    expect(await alarmDeleteSpikes(h.app)).toBe(0); // once per person deleting per hour
    const health = ok(await h.req('GET', '/api/data-health', { as: ADMIN }), 'health');
    expect(health.checks.find((c: any) => c.key === 'deleteSpikes')).toMatchObject({ status: 'error', count: 1, sampleIds: [assistant.id] });
    await new AlarmEngine(h.app, { leaseMs: 30_000 }).tick();
    const sent = await h.ds.query("SELECT recipientId, state, payload FROM alarm_message WHERE dedupeKey LIKE 'delete-spike:%' ORDER BY recipientId");
    expect(sent.map((m: any) => m.state)).toEqual(['sent', 'sent']);
    expect(JSON.parse(sent[0].payload).lines[0]).toContain('助理小周 在 10 分钟内删除了 6000 条记录（客户 3000 条、线索 3000 条）');

    h.clock.set(t0 + 60 * MIN);
    const body = { actorId: assistant.id, from: iso(from), to: iso(h.clock.now()) };
    const dry = ok(await h.req('POST', '/api/undo', { as: ADMIN, body: { ...body, dryRun: true } }), 'dry run');
    expect(dry.perField).toMatchObject({ 'customer.deletedAt': 3000, 'lead.deletedAt': 3000, 'lead.status': 500 });
    expect(dry.conflicts).toBe(0);
    const started = Date.now();
    const undo = ok(await h.req('POST', '/api/undo', { as: ADMIN, body: { ...body, dryRun: false } }), 'undo');
    const took = Date.now() - started;
    expect(undo.conflicts).toBe(0);
    await h.settle();
    expect(await businessState(h)).toEqual(before);
    const derived = await storedAndRecomputed(h);
    expect(derived.stored).toEqual(derived.recomputed);
    console.log(`[${kind}] undo of 3,000 customer deletes + 3,000 lead deletes + 500 lead edits: ${took} ms`);
  });

  it('a value changed later by someone else is a conflict: reported and kept, overwritten only when the admin picks it', async () => {
    const lead = Number(
      (
        await h.ds.query("SELECT id FROM `lead` WHERE companyId = ? AND deletedAt IS NULL AND channel <> '导入-2026春季' ORDER BY id LIMIT 1", [
          h.seed.companyId,
        ])
      )[0].id,
    );
    h.clock.set(TEST_NOW + 5 * 60 * MIN);
    const from = h.clock.now();
    ok(await h.req('PATCH', `/api/leads/${lead}`, { as: ADMIN, body: { name: '管理员改的', campaign: '管理员活动' } }), 'admin edit');
    h.clock.set(from + MIN);
    ok(await h.req('PATCH', `/api/leads/${lead}`, { as: '李静', body: { name: '主管后来改的' } }), 'supervisor edit');
    const customer = Number((await h.ds.query('SELECT customerId FROM `lead` WHERE id = ?', [lead]))[0].customerId);
    const body = { actorId: await id(ADMIN), from: iso(from), to: iso(from + 30_000) };
    const dry = ok(await h.req('POST', '/api/undo', { as: ADMIN, body: { ...body, dryRun: true } }), 'dry');
    expect(dry.conflicts).toBe(1);
    expect(dry.conflictList[0]).toMatchObject({ key: `customer:${customer}:name`, expected: '管理员改的', current: '主管后来改的' });
    ok(await h.req('POST', '/api/undo', { as: ADMIN, body: { ...body, dryRun: false } }), 'undo');
    const after = (await h.ds.query('SELECT c.name, l.campaign FROM customer c JOIN `lead` l ON l.customerId = c.id WHERE l.id = ?', [lead]))[0];
    expect(after.name).toBe('主管后来改的'); // kept
    expect(after.campaign).not.toBe('管理员活动'); // reverted
    const forced = ok(await h.req('POST', '/api/undo', { as: ADMIN, body: { ...body, dryRun: false, overwrite: [`customer:${customer}:name`] } }), 'overwrite');
    expect(forced.overwritten).toBe(1);
    expect((await h.ds.query('SELECT name FROM customer WHERE id = ?', [customer]))[0].name).not.toBe('主管后来改的');
  });

  it('time travel: a lead as it was, with the changes since; scope and bad input answered clearly', async () => {
    const lead = Number(
      (
        await h.ds.query("SELECT id FROM `lead` WHERE companyId = ? AND deletedAt IS NULL AND channel <> '导入-2026春季' ORDER BY id DESC LIMIT 1", [
          h.seed.companyId,
        ])
      )[0].id,
    );
    h.clock.set(TEST_NOW + 10 * 60 * MIN);
    const t = h.clock.now();
    const was = (await h.ds.query('SELECT status, journeyNode FROM `lead` WHERE id = ?', [lead]))[0];
    h.clock.set(t + MIN);
    ok(await h.req('PATCH', `/api/leads/${lead}`, { as: ADMIN, body: { status: 'lost', lostReason: '预算不足' } }), 'edit');
    const then = ok(await h.req('GET', `/api/history/lead/${lead}?at=${encodeURIComponent(iso(t))}`, { as: ADMIN }), 'history');
    expect(then).toMatchObject({ existed: true, record: { status: was.status, lostReason: null } });
    expect(then.changesSince.map((c: any) => c.field)).toEqual(expect.arrayContaining(['status', 'lostReason']));
    expect(then.changesSince[0]).toMatchObject({ actorName: ADMIN, operationId: expect.any(String) });
    const beforeCreation = ok(
      await h.req('GET', `/api/history/lead/${lead}?at=${encodeURIComponent(iso(TEST_NOW - 400 * 24 * 60 * MIN))}`, { as: ADMIN }),
      'old',
    );
    expect(beforeCreation).toMatchObject({ existed: false, record: null });
    expect((await h.req('GET', `/api/history/lead/${lead}`, { as: '张敏' })).status).toBe(403);
    const bad = await h.req('GET', `/api/history/lead/${lead}?at=yesterday`, { as: ADMIN });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('ISO');
    expect((await h.req('GET', `/api/history/order/${lead}`, { as: ADMIN })).status).toBe(400);
    expect((await h.req('POST', '/api/undo', { as: '李静', body: { from: iso(t), to: iso(t), dryRun: true } })).status).toBe(403);
    const reversed = await h.req('POST', '/api/undo', { as: ADMIN, body: { from: iso(t + MIN), to: iso(t), dryRun: true } });
    expect(reversed.status).toBe(400);
  });
});
