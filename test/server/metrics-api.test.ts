import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { migrate } from '../../server/src/db/migrate';
import { seedDemo } from '../../server/src/demo/seed';
import { MEASURE_NAMES } from '../../server/src/metrics/rollup';
import { describeEachDb, freshDatabase, Harness, TEST_NOW } from '../support/harness';

const HOUR = 3600_000;

describeEachDb('metrics API: roles, input, live updates, signing, spend, export', (kind) => {
  const h = new Harness(kind, 30);
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  const setSettings = (s: object) => h.ds.query('UPDATE company SET settings = ? WHERE id = ?', [JSON.stringify(s), h.seed.companyId]);
  const exports = () => h.count('audit_log', "entity = 'export'");

  it('a rep sees only their own numbers and none of the supervisor views', async () => {
    const k = await h.req('GET', '/api/metrics/kpis', { as: '张敏' });
    expect(k.status).toBe(200);
    expect(k.body.scope.limitedTo).toBe('own');
    const zhang = await h.user('张敏');
    const [{ n }] = await h.ds.query('SELECT COUNT(*) AS n FROM `lead` WHERE ownerId = ? AND deletedAt IS NULL AND createdAt >= ?', [
      zhang.id,
      TEST_NOW - 29 * 24 * HOUR - 10 * HOUR,
    ]);
    expect(k.body.leads).toBe(Number(n));
    expect((await h.req('GET', '/api/metrics/lead-health', { as: '张敏' })).body.scope.limitedTo).toBe('own');
    for (const path of ['rep-battle', 'channel-roi', 'journey-heat', 'drill?node=首次触达', 'export?view=kpis']) {
      const r = await h.req('GET', `/api/metrics/${path}`, { as: '张敏' });
      expect(r.status, path).toBe(403);
      expect(r.body.error.message).toBe('仅主管及以上可查看');
    }
    const other = await h.user('陈晨');
    const r = await h.req('GET', `/api/metrics/kpis?repId=${other.id}`, { as: '张敏' });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/自己/);
  });

  it('a supervisor sees their subtree; naming a unit or rep outside it is refused with the reason', async () => {
    const k = await h.req('GET', '/api/metrics/kpis', { as: '李静' });
    expect(k.body.scope.limitedTo).toBe('subtree');
    const battle = await h.req('GET', '/api/metrics/rep-battle', { as: '李静' });
    expect(battle.status).toBe(200);
    expect(battle.body.reps.map((r: any) => r.name).sort()).toEqual(['刘洋', '孙悦', '张敏', '赵丽', '陈晨'].sort());
    expect(battle.body.threshold48h).toBe(0.85);
    const [nj] = await h.ds.query("SELECT id FROM org_unit WHERE name = '南京鼓楼中心'");
    const outUnit = await h.req('GET', `/api/metrics/kpis?unitId=${nj.id}`, { as: '李静' });
    expect(outUnit.status).toBe(403);
    expect(outUnit.body.error.message).toBe('该组织不在你的管理范围内');
    const zhou = await h.user('周杰');
    const outRep = await h.req('GET', `/api/metrics/rep-battle?repId=${zhou.id}`, { as: '李静' });
    expect(outRep.status).toBe(403);
    expect(outRep.body.error.message).toBe('该顾问不在你的管理范围内');
    const ops = await h.req('GET', '/api/metrics/kpis', { as: '黄蓉' });
    expect(ops.body.scope.limitedTo).toBe('company');
    expect(ops.body.leads).toBeGreaterThan(k.body.leads);
  });

  it('bad input is a 400 in Chinese and changes nothing', async () => {
    const audits = await h.count('audit_log');
    const cases: [string, RegExp][] = [
      ['/api/metrics/kpis?from=2026-1-1', /日期格式应为 YYYY-MM-DD/],
      ['/api/metrics/kpis?from=2026-01-20&to=2026-01-01', /开始日期不能晚于结束日期/],
      ['/api/metrics/kpis?unitId=abc', /组织/],
      ['/api/metrics/kpis?foo=1', /不支持的字段/],
      ['/api/metrics/journey-heat?by=school', /分组只能是 city \/ grade \/ channel \/ unit/],
      ['/api/metrics/drill?node=不存在', /旅程节点「不存在」不存在/],
      ['/api/metrics/export?view=all', /导出视图不存在/],
    ];
    for (const [path, msg] of cases) {
      const r = await h.req('GET', path, { as: '黄蓉' });
      expect(r.status, path).toBe(400);
      expect(r.body.error.message, path).toMatch(msg);
    }
    for (const body of [
      { channel: '抖音-202601直播', month: '2026-13', amount: 1 },
      { channel: '抖音-202601直播', month: '2026-01', amount: -5 },
      { channel: '', month: '2026-01', amount: 1 },
    ]) {
      const r = await h.req('PUT', '/api/metrics/channel-spend', { as: '黄蓉', body });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await h.count('channel_spend')).toBe(0);
    expect(await h.count('audit_log')).toBe(audits);
  });

  it('a new follow-up is reflected at once, with updatedAt moving to it', async () => {
    h.clock.advance(HOUR);
    const before = (await h.req('GET', '/api/metrics/kpis', { as: '张敏' })).body;
    const lead = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: '13914440001', name: '宋妈妈', city: '苏州', grade: '初二', concerns: ['学科提分'], channel: '百度-品牌词' },
    });
    const mid = (await h.req('GET', '/api/metrics/kpis', { as: '张敏' })).body;
    expect(mid.leads).toBe(before.leads + 1);
    expect(mid.updatedAt).toBe(h.clock.now());
    h.clock.advance(20 * 60_000);
    const fu = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId: lead.body.lead.id, action: '已电话沟通', clientRequestId: `api-${kind}-live-1` },
    });
    expect(fu.status).toBe(201);
    const after = (await h.req('GET', '/api/metrics/kpis', { as: '张敏' })).body;
    expect(after.updatedAt).toBe(h.clock.now());
    expect(after.kpis.firstTouch24h.numerator).toBe(mid.kpis.firstTouch24h.numerator + 1);
    expect(after.kpis.survival7d.numerator).toBe(mid.kpis.survival7d.numerator + 1);
    expect(after.kpis.flowHealthHours.denominator).toBe(mid.kpis.flowHealthHours.denominator + 1);
    const health = (await h.req('GET', '/api/metrics/lead-health', { as: '黄蓉' })).body;
    expect(health.updatedAt).toBe(h.clock.now());
  });

  it('signing requires one of the company courses; the sidebar vocabulary lists them', async () => {
    const meta = await h.req('GET', '/api/meta', { as: '张敏' });
    expect(meta.body.courses.map((c: any) => c.name)).toContain('数学提分班');
    const lead = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13914440002', channel: '百度-品牌词', concerns: ['学科提分'] } });
    const id = lead.body.lead.id;
    const none = await h.req('POST', '/api/followups', { as: '张敏', body: { leadId: id, action: '已签约', clientRequestId: `api-${kind}-sign-0` } });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toMatch(/^签约请选择所签课程/);
    const wrong = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId: id, action: '已签约', signedCourse: '钢琴班', clientRequestId: `api-${kind}-sign-1` },
    });
    expect(wrong.status).toBe(400);
    const notSigning = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId: id, action: '已电话沟通', signedCourse: '数学提分班', clientRequestId: `api-${kind}-sign-2` },
    });
    expect(notSigning.status).toBe(400);
    expect(await h.count('followup', 'leadId = ?', [id])).toBe(0);
    const before = (await h.req('GET', '/api/metrics/kpis', { as: '张敏' })).body.kpis.demandMatch;
    const ok = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId: id, action: '已签约', signedCourse: '数学提分班', clientRequestId: `api-${kind}-sign-3` },
    });
    expect(ok.status).toBe(201);
    const after = (await h.req('GET', '/api/metrics/kpis', { as: '张敏' })).body.kpis.demandMatch;
    expect([after.numerator, after.denominator]).toEqual([before.numerator + 1, before.denominator + 1]);
    // The customer's concerns change: demand match follows (customer.updated).
    await h.req('PATCH', `/api/leads/${id}`, { as: '张敏', body: { concerns: ['心理辅导'] } });
    const edited = (await h.req('GET', '/api/metrics/kpis', { as: '张敏' })).body.kpis.demandMatch;
    expect([edited.numerator, edited.denominator]).toEqual([before.numerator, before.denominator + 1]);
    const [row] = await h.ds.query('SELECT signedAt, signedCourse FROM `lead` WHERE id = ?', [id]);
    expect(row.signedCourse).toBe('数学提分班');
    expect(Number(row.signedAt)).toBe(h.clock.now());
  });

  it('channel spend: ops/director/admin only, idempotent per channel and month, stored in fen, audited', async () => {
    const body = { channel: '抖音-202601直播', month: '2026-01', amount: 12345.67 };
    for (const who of ['张敏', '李静']) {
      const r = await h.req('PUT', '/api/metrics/channel-spend', { as: who, body });
      expect(r.status).toBe(403);
      expect(r.body.error.message).toMatch(/运营、总监或管理员/);
    }
    const a = await h.req('PUT', '/api/metrics/channel-spend', { as: '黄蓉', body });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ amount: 12345.67, amountFen: 1234567 });
    await h.req('PUT', '/api/metrics/channel-spend', { as: '黄蓉', body });
    expect(await h.count('channel_spend')).toBe(1);
    expect(await h.count('audit_log', "entity = 'channel_spend'")).toBe(1);
    await h.req('PUT', '/api/metrics/channel-spend', { as: '马骏', body: { ...body, amount: 20000 } });
    expect(await h.count('channel_spend')).toBe(1);
    expect(await h.count('audit_log', "entity = 'channel_spend' AND action = 'update'")).toBe(1);
    const roi = (await h.req('GET', '/api/metrics/channel-roi?from=2026-01-05&to=2026-01-15', { as: '黄蓉' })).body;
    expect(roi.months).toEqual(['2026-01']);
    expect(roi.scope).toMatchObject({ from: '2026-01-01', to: '2026-01-31' });
    const douyin = roi.channels.find((c: any) => c.channel === '抖音-202601直播');
    expect(douyin.spend).toBe(20000);
    expect(douyin.costPerLead).toBe(Math.round(2_000_000 / douyin.leads) / 100);
  });

  it('channel ROI of a supervisor shares spend out by her leads: her cost per lead is the company’s, not company spend ÷ her leads (defect 3); revenue, cost per signing and ROI (defect 8)', async () => {
    const month = { channel: '抖音-202601直播', month: '2026-01', amount: 30000 };
    await h.req('PUT', '/api/metrics/channel-spend', { as: '黄蓉', body: month });
    const q = '/api/metrics/channel-roi?from=2026-01-01&to=2026-01-31';
    const all = (await h.req('GET', q, { as: '马骏' })).body;
    const mine = (await h.req('GET', q, { as: '李静' })).body;
    expect(all.spendBasis).toBe('company');
    expect(mine.spendBasis).toBe('share');
    const c = all.channels.find((x: any) => x.channel === month.channel);
    const s = mine.channels.find((x: any) => x.channel === month.channel);
    expect(c.spend).toBe(30000);
    expect(s.leads).toBeGreaterThan(0);
    expect(s.leads).toBeLessThan(c.leads);
    expect(s.spend).toBe(Math.round((3_000_000 * s.leads) / c.leads) / 100);
    expect(Math.abs(s.costPerLead - c.costPerLead)).toBeLessThanOrEqual(0.01);
    for (const row of [c, s]) {
      expect(row.costPerSigning).toBe(row.signed ? Math.round((row.spend * 100) / row.signed) / 100 : null);
      expect(row.revenue).not.toBeNull();
      expect(row.roi).toBeCloseTo(row.revenue / row.spend, 3);
    }
  });

  it('export: ops gets a CSV with BOM, audited; supervisors only when the company allows; reps never', async () => {
    const n = await exports();
    const r = await h.req('GET', '/api/metrics/export?view=rep-battle&city=苏州', { as: '黄蓉' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="lifeline-rep-battle-/);
    const bytes = new Uint8Array(
      await (
        await fetch(`${h.base}/api/metrics/export?view=rep-battle&city=${encodeURIComponent('苏州')}`, {
          headers: { authorization: `Bearer ${await h.token('黄蓉')}` },
        })
      ).arrayBuffer(),
    );
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(r.text.split('\r\n')[0]).toBe('顾问,团队,待跟进,逾期,48小时跟进率(%),是否未达标,试听数,签约数,试听转化率(%),使用话术次数');
    expect(r.text).toContain('张敏');
    expect(await exports()).toBe(n + 2);
    const [audit] = await h.ds.query("SELECT actorId, after FROM audit_log WHERE entity = 'export' ORDER BY id DESC LIMIT 1");
    expect(Number(audit.actorId)).toBe((await h.user('黄蓉')).id);
    expect(JSON.parse(audit.after)).toMatchObject({ view: 'rep-battle', filters: { city: '苏州' } });
    for (const view of ['kpis', 'lead-health', 'channel-roi', 'journey-heat']) {
      const x = await h.req('GET', `/api/metrics/export?view=${view}`, { as: '马骏' });
      expect(x.status, view).toBe(200);
      expect(x.headers.get('content-disposition')).toContain(`lifeline-${view}-`);
    }
    const denied = await h.req('GET', '/api/metrics/export?view=kpis', { as: '李静' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/未开放主管导出/);
    expect(await exports()).toBe(n + 6);
    await setSettings({ supervisorCanExport: true });
    try {
      const allowed = await h.req('GET', '/api/metrics/export?view=kpis', { as: '李静' });
      expect(allowed.status).toBe(200);
      expect(allowed.text).toContain('7日线索存活率');
      expect(await exports()).toBe(n + 7);
      expect((await h.req('GET', '/api/metrics/export?view=kpis', { as: '张敏' })).status).toBe(403);
    } finally {
      await setSettings({});
    }
  });

  it('heat map drills down to leads (phones masked for ops) and on to a readable timeline', async () => {
    const heat = (await h.req('GET', '/api/metrics/journey-heat?by=city', { as: '黄蓉' })).body;
    expect(heat.nodes).toHaveLength(7);
    const cell = heat.cells.find((c: any) => c.stays > 0);
    expect(cell).toBeTruthy();
    const drill = await h.req('GET', `/api/metrics/drill?by=city&value=${encodeURIComponent(cell.value)}&node=${encodeURIComponent(cell.node)}`, {
      as: '黄蓉',
    });
    expect(drill.status).toBe(200);
    expect(drill.body.total).toBeGreaterThan(0);
    expect(drill.body.total).toBeLessThanOrEqual(cell.stays);
    const item = drill.body.items[0];
    expect(item.phone).toMatch(/^1\d{2}\*{4}\d{4}$/);
    expect(item.hoursInNode).toBeGreaterThan(0);
    const t = await h.req('GET', item.timeline, { as: '黄蓉' });
    expect(t.status).toBe(200);
    expect(t.body.items[0]).toMatchObject({ kind: 'intake' });
    expect(t.body.items[0].when).toMatch(/^\d+月\d+日 \d{2}:\d{2}$/);
    // A node-only drill lists the leads now in it; a rep may not drill.
    const node = await h.req('GET', `/api/metrics/drill?node=${encodeURIComponent('线索获取')}&pageSize=5`, { as: '李静' });
    expect(node.body.items.length).toBeLessThanOrEqual(5);
    expect(node.body.items.every((i: any) => i.journeyNode === '线索获取')).toBe(true);
  });

  it('conversations: idempotent per rep, customer and day; a follow-up that day marks them followed', async () => {
    const lead = await h.req('POST', '/api/leads', { as: '陈晨', body: { phone: '13914440003', channel: '百度-品牌词' } });
    const customerId = lead.body.lead.customerId;
    const before = (await h.req('GET', '/api/metrics/kpis', { as: '陈晨' })).body.kpis.entryRate;
    const a = await h.req('POST', '/api/conversations', { as: '陈晨', body: { customerId, source: 'wecom' } });
    const b = await h.req('POST', '/api/conversations', { as: '陈晨', body: { customerId, source: 'dingtalk' } });
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(a.body.followed).toBe(false);
    await h.req('GET', '/api/customers/lookup?phone=13914440003', { as: '陈晨' });
    expect(await h.count('conversation', 'customerId = ?', [customerId])).toBe(1);
    const mid = (await h.req('GET', '/api/metrics/kpis', { as: '陈晨' })).body.kpis.entryRate;
    expect([mid.numerator, mid.denominator]).toEqual([before.numerator, before.denominator + 1]);
    await h.req('POST', '/api/followups', { as: '陈晨', body: { leadId: lead.body.lead.id, action: '已电话沟通', clientRequestId: `api-${kind}-conv-1` } });
    const after = (await h.req('GET', '/api/metrics/kpis', { as: '陈晨' })).body.kpis.entryRate;
    expect([after.numerator, after.denominator]).toEqual([before.numerator + 1, before.denominator + 1]);
    const bad = await h.req('POST', '/api/conversations', { as: '陈晨', body: { customerId, source: 'qq' } });
    expect(bad.status).toBe(400);
    expect((await h.req('POST', '/api/conversations', { as: '陈晨', body: { customerId: 999999 } })).status).toBe(404);
  });
});

describeEachDb('metrics migration backfills facts for existing leads', (kind) => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ ds, drop } = await freshDatabase(kind)));
  afterAll(() => drop());

  it('re-running the metrics migrations over existing data rebuilds the same stays, facts and rollups', async () => {
    await migrate(ds);
    await seedDemo(ds, { now: TEST_NOW, leads: 40 });
    const cols =
      'leadId, companyId, enteredAt, enteredDay, customerId, ownerId, orgUnitId, channel, city, grade, status, journeyNode, nodeEnteredAt, maxNodeIndex, lostNode, score, assignedAt, firstTouchAt, assignTouchAt, nextStepDueAt, trialAt, signedAt, profileFilled, profileRequired, stayMs0, stayMs1, stayMs2, stayMs3, stays0, stays1, stays2, stays3, stays5, deletedAt, profilePrimary, s7PendingUntil, f24PendingUntil, f48PendingUntil, overdueFrom';
    const norm = (rows: any[]) =>
      rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v])));
    const facts = async () => norm(await ds.query(`SELECT ${cols} FROM lead_fact ORDER BY leadId`));
    const rollup = async () =>
      norm(
        await ds.query(`SELECT shape, day, ownerId, orgUnitId, dim, ${MEASURE_NAMES.join(', ')} FROM lead_rollup ORDER BY shape, day, ownerId, orgUnitId, dim`),
      ).filter((r) => MEASURE_NAMES.some((m) => Number(r[m]) !== 0));
    const live = await facts();
    const liveRollup = await rollup();
    const stays = norm(await ds.query('SELECT leadId, node, enteredAt, leftAt FROM journey_stay ORDER BY leadId, enteredAt, id'));
    const [{ n: leads }] = await ds.query('SELECT COUNT(*) AS n FROM `lead`');
    expect(live).toHaveLength(Number(leads));
    expect(live.some((f) => f.profilePrimary === 0)).toBe(true); // a customer with two leads is in the demo
    expect(liveRollup.length).toBeGreaterThan(10);
    // Facts kept, their newer columns and the rollup rebuilt in SQL.
    // Later migrations are undone first and re-applied with it; this test is about the metrics ones.
    const undoThrough = async (name: string) => {
      const undone: string[] = [];
      while (!undone.includes(name)) {
        const [last] = await ds.query('SELECT name FROM migrations ORDER BY timestamp DESC LIMIT 1');
        await ds.undoLastMigration({ transaction: 'each' });
        undone.unshift(last.name);
      }
      return undone;
    };
    const later = (await undoThrough('MetricsRollup1700000500000')).slice(1);
    expect(await migrate(ds)).toEqual(['MetricsRollup1700000500000', ...later]);
    expect(await facts()).toEqual(live);
    expect(await rollup()).toEqual(liveRollup);
    // Leads without a fact (half of them: facts missing and present side by side) get the fact the live
    // refreshLeadFacts computed, every column including the signed course and demand match (but updatedAt: the live
    // fact has its last event's time, a backfilled one the lead's updatedAt).
    const everything = async () => norm(await ds.query('SELECT * FROM lead_fact ORDER BY leadId')).map(({ updatedAt, ...f }) => f);
    const liveAll = await everything();
    expect(liveAll.some((f) => f.demandMatch === 1)).toBe(true);
    expect(await undoThrough('MetricsRollup1700000500000')).toEqual(['MetricsRollup1700000500000', ...later]);
    await ds.query('DELETE FROM lead_fact WHERE leadId % 2 = 1');
    expect(await migrate(ds)).toEqual(['MetricsRollup1700000500000', ...later]);
    expect(await everything()).toEqual(liveAll);
    expect(await rollup()).toEqual(liveRollup);
    // From before the metrics: stays, facts and rollups all rebuilt.
    expect(await undoThrough('Metrics1700000300000')).toEqual(['Metrics1700000300000', 'MetricsIndexes1700000400000', 'MetricsRollup1700000500000', ...later]);
    await expect(ds.query('SELECT COUNT(*) FROM lead_fact')).rejects.toThrow();
    expect(await migrate(ds)).toEqual(['Metrics1700000300000', 'MetricsIndexes1700000400000', 'MetricsRollup1700000500000', ...later]);
    expect(await facts()).toEqual(live);
    // Undoing the metrics migration dropped the signed course (demand match needs it); everything else is back.
    const noCourse = (rows: any[]) => rows.map(({ signedDM, matched, ...r }) => r);
    expect(noCourse(await rollup())).toEqual(noCourse(liveRollup));
    expect(norm(await ds.query('SELECT leadId, node, enteredAt, leftAt FROM journey_stay ORDER BY leadId, enteredAt, id'))).toEqual(stays);
    const [{ n: signed }] = await ds.query("SELECT COUNT(*) AS n FROM `lead` WHERE status = 'won' AND signedAt IS NOT NULL");
    expect(Number(signed)).toBeGreaterThan(0);
  });
});
