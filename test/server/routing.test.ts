import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';
import { blockedOrDone, started, within } from '../support/interleave';

const SZ = '1391544'; // 苏州 prefix
const NJ = '1381454'; // 南京 prefix
let seq = 7000;
const phone = (prefix: string) => `${prefix}${String(seq++).padStart(4, '0')}`;

describeEachDb('routing: rules, pools, round robin, eligibility, threshold, decision log', (kind) => {
  const h = new Harness(kind);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const ids = async (...names: string[]) => Promise.all(names.map(async (n) => (await h.user(n)).id));
  const unitId = async (name: string) => Number((await h.ds.query('SELECT id FROM org_unit WHERE name = ?', [name]))[0].id);

  it('the demo ships rules v1: a 苏州 初三 lead entered by ops lands in 苏州园区中心-中考组 with the decision logged', async () => {
    const r = await h.req('POST', '/api/leads', {
      as: '黄蓉',
      body: { phone: phone(SZ), name: '周妈妈', grade: '初三', concerns: ['升学政策'], channel: '抖音-202601直播' },
    });
    expect(r.status).toBe(201);
    expect(r.body.lead.status).toBe('assigned');
    expect(['张敏', '陈晨', '刘洋']).toContain(r.body.lead.ownerName);
    const log = await h.req('GET', `/api/leads/${r.body.lead.id}/routing`, { as: '黄蓉' });
    expect(log.status).toBe(200);
    expect(log.body.items).toHaveLength(1);
    const d = log.body.items[0];
    expect(d).toMatchObject({
      kind: 'auto',
      outcome: 'assigned',
      ruleSetVersion: 1,
      rule: { index: 0, name: '苏州初中' },
      pool: { name: '苏州园区中心-中考组' },
    });
    expect(d.reasons.rule).toContain('命中第1条规则「苏州初中」');
    expect(d.cursor.after).toBe(d.cursor.before + 1 + d.reasons.skipped.length);
    // The assignment itself is audited on the lead.
    const audit = await h.req('GET', `/api/leads/${r.body.lead.id}/audit`, { as: '黄蓉' });
    expect(audit.body.items.some((a: any) => a.entity === 'lead' && a.field === 'ownerId' && a.after === r.body.lead.ownerId)).toBe(true);
  });

  it('a rep entering their own lead keeps it: no routing decision', async () => {
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: phone(NJ), channel: '转介绍-老学员' } });
    expect(r.body.lead.ownerName).toBe('张敏');
    const log = await h.req('GET', `/api/leads/${r.body.lead.id}/routing`, { as: '张敏' });
    expect(log.body.items).toEqual([]);
  });

  it('admin builds a pool and rules; new rules are a new version; round robin is weighted and skips inactive reps', async () => {
    const [zhou, wu, zheng, qian] = await ids('周杰', '吴昊', '郑爽', '钱多多');
    const pool = await h.req('POST', '/api/routing/pools', {
      as: '系统管理员',
      body: {
        name: '南京测试池',
        orgUnitId: await unitId('南京鼓楼中心-综合组'),
        members: [
          { userId: zhou, weight: 2 },
          { userId: wu, weight: 1 },
          { userId: qian, weight: 1 },
          { userId: zheng, weight: 1, cap: 0 },
        ],
      },
    });
    expect(pool.status).toBe(201);
    const before = await h.req('GET', '/api/routing/rules', { as: '系统管理员' });
    const saved = await h.req('PUT', '/api/routing/rules', {
      as: '系统管理员',
      body: {
        rules: [{ name: '南京高分', cities: ['南京'], minScore: 0, poolId: pool.body.id }, ...before.body.current.rules],
        defaultPoolId: before.body.current.defaultPoolId,
      },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(before.body.current.version + 1);
    expect((await h.req('GET', `/api/routing/rules/${before.body.current.version}`, { as: '黄蓉' })).body.rules).toEqual(before.body.current.rules);

    const owners: string[] = [];
    const skips: { name: string; label: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(NJ), grade: '初二', channel: '百度-品牌词' } });
      owners.push(r.body.lead.ownerName);
      skips.push(...(await h.req('GET', `/api/leads/${r.body.lead.id}/routing`, { as: '黄蓉' })).body.items[0].reasons.skipped);
    }
    expect(skips).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: '钱多多', label: '已停用' }), expect.objectContaining({ name: '郑爽', label: '已达接单上限' })]),
    );
    // Weights 2:1 between the two eligible reps; 钱多多 (inactive) and 郑爽 (cap 0) are never chosen.
    expect(owners.filter((o) => o === '周杰')).toHaveLength(4);
    expect(owners.filter((o) => o === '吴昊')).toHaveLength(2);
    const last = await h.req('GET', `/api/leads?owner=${zhou}&pageSize=1`, { as: '黄蓉' });
    const log = await h.req('GET', `/api/leads/${last.body.items[0].id}/routing`, { as: '黄蓉' });
    expect(log.body.items[0].ruleSetVersion).toBe(saved.body.version);
    expect(log.body.items[0].rule.name).toBe('南京高分');
  });

  it('dry run says where a lead would go and why, without moving the cursor', async () => {
    const pools1 = await h.req('GET', '/api/routing/pools', { as: '系统管理员' });
    const r = await h.req('POST', '/api/routing/dry-run', {
      as: '李静',
      body: { phone: phone(NJ), grade: '初三', concerns: ['升学政策'], channel: '抖音-202601直播' },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      outcome: 'assigned',
      facts: { city: '南京' },
      score: { score: 75, level: 'A' },
      rule: { name: '南京高分' },
      pool: { name: '南京测试池' },
    });
    expect(r.body.score.explanation).toBe('初三 +30, 抖音直播 +20, 升学政策 +25');
    expect(['周杰', '吴昊']).toContain(r.body.owner.name);
    expect(r.body.reasons.chosen).toContain(r.body.owner.name);
    const pools2 = await h.req('GET', '/api/routing/pools', { as: '系统管理员' });
    expect(pools2.body.items.map((p: any) => p.cursor)).toEqual(pools1.body.items.map((p: any) => p.cursor));
    const bad = await h.req('POST', '/api/routing/dry-run', { as: '李静', body: { channel: '抖音', grade: '九年级' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('年级');
  });

  it('reps are skipped off shift and at cap, with the reasons in the log', async () => {
    const [zhou, wu] = await ids('周杰', '吴昊');
    const pools = await h.req('GET', '/api/routing/pools', { as: '系统管理员' });
    const p = pools.body.items.find((x: any) => x.name === '南京测试池');
    // 2026-01-15 10:00 is a Thursday: 吴昊 works weekends only; 周杰 is already at his cap.
    const zhouLoad = p.members.find((m: any) => m.userId === zhou).openLeads;
    const upd = await h.req('PUT', `/api/routing/pools/${p.id}`, {
      as: '系统管理员',
      body: {
        name: p.name,
        orgUnitId: p.orgUnitId,
        members: [
          { userId: zhou, weight: 1, cap: zhouLoad },
          { userId: wu, weight: 1, shifts: [{ days: [6, 7], from: '09:00', to: '21:00' }] },
        ],
      },
    });
    expect(upd.status).toBe(200);
    expect(upd.body.changed).toContain('members');
    const r = await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(NJ), channel: '百度-品牌词' } });
    expect(r.body.lead.status).toBe('pending');
    const log = await h.req('GET', `/api/leads/${r.body.lead.id}/routing`, { as: '黄蓉' });
    expect(log.body.items[0].outcome).toBe('queued');
    expect(log.body.items[0].reasons.skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: '周杰', reason: 'at_cap', label: '已达接单上限' }),
        expect.objectContaining({ name: '吴昊', reason: 'off_shift', label: '不在班' }),
      ]),
    );
    // Saturday 10:00: 吴昊 is on shift.
    h.clock.set(TEST_NOW + 2 * 24 * 3600_000);
    const sat = await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(NJ), channel: '百度-品牌词' } });
    expect(sat.body.lead.ownerName).toBe('吴昊');
    h.clock.set(TEST_NOW);
  });

  it('protective threshold: a rep holds at most 5 leads ≥ 85; the next goes to the rotation queue for the supervisor', async () => {
    const [zhang] = await ids('张敏');
    const pool = await h.req('POST', '/api/routing/pools', {
      as: '系统管理员',
      body: { name: '高分测试池', orgUnitId: await unitId('苏州园区中心-中考组'), members: [{ userId: zhang, weight: 1 }] },
    });
    const cur = (await h.req('GET', '/api/routing/rules', { as: '系统管理员' })).body.current;
    await h.req('PUT', '/api/routing/rules', {
      as: '系统管理员',
      body: { rules: [{ name: '高分', cities: ['苏州'], minScore: 85, poolId: pool.body.id }, ...cur.rules], defaultPoolId: cur.defaultPoolId },
    });
    // 张敏 may already hold top leads from the seed; top her up to exactly 5.
    const held = Number(
      (
        await h.ds.query("SELECT COUNT(*) AS n FROM `lead` WHERE ownerId = ? AND score >= 85 AND status IN ('assigned','following') AND deletedAt IS NULL", [
          zhang,
        ])
      )[0].n,
    );
    const top = { grade: '初三', concerns: ['升学政策', '学科提分'], channel: '抖音-202601直播' }; // 30+25+15+20 = 90
    for (let i = held; i < 5; i++) {
      const r = await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(SZ), ...top } });
      expect(r.body.lead).toMatchObject({ score: 90, ownerName: '张敏' });
    }
    const sixth = await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(SZ), ...top } });
    expect(sixth.body.lead.status).toBe('pending');
    const log = await h.req('GET', `/api/leads/${sixth.body.lead.id}/routing`, { as: '李静' });
    expect(log.body.items[0]).toMatchObject({ outcome: 'queued', pool: { name: '高分测试池' } });
    expect(log.body.items[0].reasons.skipped[0]).toMatchObject({ name: '张敏', reason: 'protected' });
    expect(log.body.items[0].reasons.note).toContain('轮转队列');

    // The supervisor (李静, 苏州 centre) sees it in the queue and assigns by hand; 王强 (南京) does not see it.
    const q = await h.req('GET', '/api/routing/queue', { as: '李静' });
    expect(q.body.items.map((i: any) => i.leadId)).toContain(sixth.body.lead.id);
    const other = await h.req('GET', '/api/routing/queue', { as: '王强' });
    expect(other.body.items.map((i: any) => i.leadId)).not.toContain(sixth.body.lead.id);
    expect((await h.req('POST', `/api/routing/queue/${sixth.body.lead.id}/assign`, { as: '张敏', body: { ownerId: zhang } })).status).toBe(403);
    const [chen] = await ids('陈晨');
    const a = await h.req('POST', `/api/routing/queue/${sixth.body.lead.id}/assign`, { as: '李静', body: { ownerId: chen } });
    expect(a.status).toBe(200);
    expect(a.body.lead).toMatchObject({ ownerName: '陈晨', status: 'assigned' });
    const again = await h.req('POST', `/api/routing/queue/${sixth.body.lead.id}/assign`, { as: '李静', body: { ownerId: chen } });
    expect(again.status).toBe(409);
    const log2 = await h.req('GET', `/api/leads/${sixth.body.lead.id}/routing`, { as: '李静' });
    expect(log2.body.items[1]).toMatchObject({ kind: 'manual', outcome: 'assigned', owner: { name: '陈晨' } });
    expect(log2.body.items[1].reasons.rule).toContain('李静 手动分配');
    const audit = await h.req('GET', `/api/leads/${sixth.body.lead.id}/audit`, { as: '李静' });
    const [li] = await ids('李静');
    expect(audit.body.items.some((x: any) => x.field === 'ownerId' && x.after === chen && x.actorId === li)).toBe(true);
  });

  it('a cap holds against an assignment still in flight: the intake that would pass it waits for it, then queues the lead', async () => {
    const [sun] = await ids('孙悦');
    const load = async () =>
      Number((await h.ds.query("SELECT COUNT(*) AS n FROM `lead` WHERE ownerId = ? AND status IN ('assigned','following') AND deletedAt IS NULL", [sun]))[0].n);
    const cap = (await load()) + 1; // one place left
    const pool = await h.req('POST', '/api/routing/pools', {
      as: '系统管理员',
      body: { name: '上限竞争池', orgUnitId: await unitId('苏州园区中心-中考组'), members: [{ userId: sun, weight: 1, cap }] },
    });
    expect(pool.status).toBe(201);
    const cur = (await h.req('GET', '/api/routing/rules', { as: '系统管理员' })).body.current;
    const rules = [{ name: '上限竞争', grades: ['初一'], channels: ['转介绍-老学员'], poolId: pool.body.id }, ...cur.rules];
    expect((await h.req('PUT', '/api/routing/rules', { as: '系统管理员', body: { rules, defaultPoolId: cur.defaultPoolId } })).status).toBe(200);
    const other = (await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(NJ), channel: '百度-品牌词' } })).body.lead;

    // The admin gives 孙悦 her last place by hand, held before COMMIT; an intake the rules send to her pool comes now.
    const hold = h.gate.hold('tx:lead.update:beforeCommit');
    const patch = started(h.req('PATCH', `/api/leads/${other.id}`, { as: '系统管理员', body: { ownerId: sun } }));
    await within(hold.reached, 'the hand assignment to reach its COMMIT');
    const intake = started(h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(SZ), grade: '初一', channel: '转介绍-老学员' } }));
    try {
      // MySQL: the count of 孙悦's open leads waits for the assignment in flight. SQLite: transactions take turns.
      if (kind === 'mysql') expect(await blockedOrDone(h, intake)).toBe('blocked');
    } finally {
      hold.release();
    }
    expect((await within(patch.promise, 'the hand assignment')).status).toBe(200);
    const r = await within(intake.promise, 'the intake');
    expect(r.status).toBe(201);
    expect(r.body.lead.status).toBe('pending'); // the rotation queue: 孙悦 is at her cap
    expect(await load()).toBe(cap);
    const log = await h.req('GET', `/api/leads/${r.body.lead.id}/routing`, { as: '李静' });
    expect(log.body.items[0]).toMatchObject({ outcome: 'queued', pool: { name: '上限竞争池' } });
    expect(log.body.items[0].reasons.skipped[0]).toMatchObject({ name: '孙悦', reason: 'at_cap' });
  });

  it('only admins change rules and pools; bad rules are refused in Chinese and write nothing', async () => {
    const versions = await h.count('routing_rule_set');
    const r1 = await h.req('PUT', '/api/routing/rules', { as: '李静', body: { rules: [], defaultPoolId: 1 } });
    expect(r1.status).toBe(403);
    const r2 = await h.req('PUT', '/api/routing/rules', { as: '系统管理员', body: { rules: [], defaultPoolId: 99999 } });
    expect(r2.status).toBe(400);
    expect(r2.body.error.message).toContain('线索池不存在');
    const r3 = await h.req('PUT', '/api/routing/rules', { as: '系统管理员', body: { rules: [{ name: '', poolId: 1 }], defaultPoolId: 1 } });
    expect(r3.status).toBe(400);
    expect(r3.body.error.message).toContain('规则名称');
    const r4 = await h.req('POST', '/api/routing/pools', {
      as: '系统管理员',
      body: { name: 'x', orgUnitId: 1, members: [{ userId: (await h.user('黄蓉')).id }] },
    });
    expect(r4.status).toBe(400);
    expect(r4.body.error.message).toContain('不是顾问或主管');
    expect(await h.count('routing_rule_set')).toBe(versions);
  });
});

describeEachDb('scoring weights: admin API and recompute', (kind) => {
  const h = new Harness(kind);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('shows the defaults; admin edits weights; every live lead is re-scored with its breakdown, audited', async () => {
    const g = await h.req('GET', '/api/scoring/weights', { as: '张敏' });
    expect(g.body.levelA).toBe(60);
    expect(g.body.weights).toEqual(expect.arrayContaining([{ field: 'grade', value: '初三', points: 30 }]));
    const lead = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: phone(SZ), grade: '初三', channel: '抖音-202601直播', concerns: ['心理辅导'] },
    });
    expect(lead.body.lead.score).toBe(50);

    expect((await h.req('PUT', '/api/scoring/weights', { as: '李静', body: { weights: [] } })).status).toBe(403);
    const bad = await h.req('PUT', '/api/scoring/weights', { as: '系统管理员', body: { weights: [{ field: 'hobby', value: 'x', points: 5 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('加分字段只能是');

    const weights = [...g.body.weights, { field: 'concern', value: '心理辅导', points: 12 }, { field: 'city', value: '苏州', points: 3, label: '苏州本地' }];
    const asked = await h.req('PUT', '/api/scoring/weights', { as: '系统管理员', body: { weights, levelA: 65 } });
    expect(asked.status).toBe(409); // the threshold reinterprets stored leads' A level
    expect(asked.body.error.message).toMatch(/A级门槛从 \d+ 改为 65 后改变A级归属的线索 \d+ 条/);
    const put = await h.req('PUT', '/api/scoring/weights', { as: '系统管理员', body: { weights, levelA: 65, confirm: true } });
    expect(put.status).toBe(200);
    expect(put.body.recomputed.changed).toBeGreaterThan(0);
    const after = await h.req('GET', `/api/leads/${lead.body.lead.id}`, { as: '张敏' });
    expect(after.body).toMatchObject({ score: 65, scoreLevel: 'A', scoreExplained: '初三 +30, 抖音直播 +20, 心理辅导 +12, 苏州本地 +3' });
    const audit = await h.req('GET', `/api/leads/${lead.body.lead.id}/audit`, { as: '张敏' });
    expect(audit.body.items.some((a: any) => a.field === 'score' && a.before === 50 && a.after === 65)).toBe(true);
    // Re-running changes nothing.
    const again = await h.req('POST', '/api/scoring/recompute', { as: '系统管理员' });
    expect(again.body.changed).toBe(0);
    // Changing the lead's inputs recomputes too.
    const patched = await h.req('PATCH', `/api/leads/${lead.body.lead.id}`, { as: '张敏', body: { grade: '初二' } });
    expect(patched.body.lead.score).toBe(35);
  });

  it('any lead or customer fact can carry a weight: tags, province, carrier, campaign', async () => {
    const g = await h.req('GET', '/api/scoring/weights', { as: '系统管理员' });
    const weights = [
      ...g.body.weights,
      { field: 'tag', value: '摇号焦虑', points: 15 },
      { field: 'province', value: '江苏', points: 2, label: '江苏省内' },
      { field: 'campaign', value: '寒假讲座', points: 4 },
      { field: 'carrier', value: '中国移动', points: 1 },
    ];
    expect((await h.req('PUT', '/api/scoring/weights', { as: '系统管理员', body: { weights } })).status).toBe(200);
    const made = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: '13814546666', channel: '百度-品牌词', campaign: '寒假讲座' },
    });
    // 13814546666 is a Nanjing 中国移动 number: province and carrier come from attribution.
    expect(made.body.lead.scoreExplained).toBe('江苏省内 +2, 寒假讲座 +4, 中国移动 +1');
    const tagged = await h.req('PATCH', `/api/leads/${made.body.lead.id}`, { as: '张敏', body: { tags: ['摇号焦虑'] } });
    expect(tagged.body.lead.score).toBe(22);
    expect(tagged.body.lead.scoreExplained).toContain('摇号焦虑 +15');
  });
});

describe('routing shared rules are exported for the server', () => {
  it('loads', async () => {
    const m = await import('@lifeline/shared/src/routing');
    expect(typeof m.matchRule).toBe('function');
  });
});
