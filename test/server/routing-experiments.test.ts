import { afterAll, beforeAll, expect, it } from 'vitest';
import { armOf } from '@lifeline/shared/src/routing';
import { describeEachDb, Harness } from '../support/harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let seq = 3000;
const phone = () => `1391544${String(seq++).padStart(4, '0')}`; // 苏州

/** The test's own Wilson interval (95 %), written from the formula, not imported. */
function wilson(k: number, n: number) {
  const z = 1.959964;
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

describeEachDb('routing A/B tests: holdout by stable hash, arms recorded, report, stopping rules', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const rules = async () => (await h.req('GET', '/api/routing/rules', { as: '系统管理员' })).body.current;
  const save = (body: object) => h.req('PUT', '/api/routing/rules', { as: '系统管理员', body });
  async function intake(n: number) {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(), grade: '初三', channel: '抖音-202601直播' } });
      expect(r.status).toBe(201);
      ids.push(r.body.lead.id);
    }
    return ids;
  }
  /** History planted on the leads: contacted within `hours` of arrival for the first `share` of each arm. */
  async function plant(ids: number[], arms: Map<number, string>, share: Record<string, number>) {
    const seen: Record<string, number> = { control: 0, treatment: 0 };
    for (const id of ids) {
      const arm = arms.get(id)!;
      const total = [...arms.values()].filter((a) => a === arm).length;
      const contacted = seen[arm]++ < Math.round(total * share[arm]);
      await h.ds.query(
        'UPDATE `lead` SET firstFollowupAt = CASE WHEN ? THEN createdAt + ? ELSE NULL END, signedAt = CASE WHEN ? THEN createdAt + ? ELSE NULL END WHERE id = ?',
        [contacted ? 1 : 0, 2 * HOUR, contacted && id % 4 === 0 ? 1 : 0, 3 * DAY, id],
      );
    }
  }
  const armsOf = async (experimentId: number) =>
    new Map<number, string>(
      (await h.ds.query('SELECT leadId, arm FROM routing_decision WHERE experimentId = ? AND kind = ?', [experimentId, 'auto'])).map((r: any) => [
        Number(r.leadId),
        r.arm,
      ]),
    );

  it('saving v2 with a 30 % holdout: each lead routed by the version its stable hash picks, and its arm recorded', async () => {
    const v1 = await rules();
    const r = await save({ rules: v1.rules, defaultPoolId: v1.defaultPoolId, protective: v1.protective, holdout: { share: 0.3, minSample: 20 } });
    expect(r.status).toBe(200);
    expect(r.body.experimentId).toBeGreaterThan(0);
    const [exp] = await h.ds.query('SELECT salt, controlVersion, treatmentVersion FROM routing_experiment WHERE id = ?', [r.body.experimentId]);
    const ids = await intake(120);
    const decisions = await h.ds.query('SELECT leadId, arm, ruleSetVersion, reasons FROM routing_decision WHERE experimentId = ?', [r.body.experimentId]);
    expect(decisions).toHaveLength(120);
    for (const d of decisions) {
      const arm = armOf(exp.salt, Number(d.leadId), 0.3);
      expect(d.arm).toBe(arm);
      expect(Number(d.ruleSetVersion)).toBe(arm === 'control' ? Number(exp.controlVersion) : Number(exp.treatmentVersion));
      expect(JSON.parse(d.reasons).rule).toContain(arm === 'control' ? 'A/B 测试：对照组（30%）' : 'A/B 测试：新规则组');
    }
    const control = decisions.filter((d: any) => d.arm === 'control').length;
    expect(control).toBeGreaterThan(20);
    expect(control).toBeLessThan(60);
    // The lead's own routing log names its arm.
    const log = await h.req('GET', `/api/leads/${ids[0]}/routing`, { as: '黄蓉' });
    expect(log.body.items[0].experiment).toEqual({ id: r.body.experimentId, arm: armOf(exp.salt, ids[0], 0.3) });

    // History: the new rules' leads contacted within 24 h 85 % of the time, the old rules' 40 %; a month later.
    await plant(ids, await armsOf(r.body.experimentId), { treatment: 0.85, control: 0.4 });
    h.clock.advance(31 * DAY);
    const report = await h.req('GET', `/api/routing/experiments/${r.body.experimentId}`, { as: '李静' });
    expect(report.status).toBe(200);

    // Independent computation from the rows.
    const rows = await h.ds.query(
      'SELECT d.arm, l.createdAt, l.firstFollowupAt, l.signedAt FROM routing_decision d JOIN `lead` l ON l.id = d.leadId WHERE d.experimentId = ?',
      [r.body.experimentId],
    );
    for (const [key, of, windowMs] of [
      ['firstContact24h', 'firstFollowupAt', DAY],
      ['firstContact30d', 'firstFollowupAt', 30 * DAY],
      ['conversion7d', 'signedAt', 7 * DAY],
    ] as const) {
      const m = report.body.metrics.find((x: any) => x.key === key);
      for (const arm of ['control', 'treatment']) {
        const mine = rows.filter((x: any) => x.arm === arm);
        const k = mine.filter((x: any) => x[of] !== null && Number(x[of]) - Number(x.createdAt) <= windowMs).length;
        const w = wilson(k, mine.length);
        expect(m[arm].n, `${key} ${arm} n`).toBe(mine.length);
        expect(m[arm].successes, `${key} ${arm} k`).toBe(k);
        expect(m[arm].rate).toBeCloseTo(w.rate, 12);
        expect(m[arm].low).toBeCloseTo(w.low, 12);
        expect(m[arm].high).toBeCloseTo(w.high, 12);
      }
    }
    const first = report.body.metrics[0];
    expect(first.verdict).toMatch(/^新规则更好：\d+\.\d% 对 \d+\.\d%（\+\d+\.\d个百分点，95%区间/);
    expect(first.treatment.rate - first.control.rate).toBeGreaterThan(0.3);
    expect(first.difference.low).toBeGreaterThan(0);
    expect(report.body.verdict).toContain('明显更好');
    expect(report.body.leads.control + report.body.leads.treatment).toBe(120);
    expect(await h.experiments.checkHarm()).toBe(0); // better is not harm

    // Reps do not read experiments; a supervisor's list has it.
    expect((await h.req('GET', `/api/routing/experiments/${r.body.experimentId}`, { as: '张敏' })).status).toBe(403);
    expect((await h.req('GET', '/api/routing/experiments', { as: '李静' })).body.items[0].id).toBe(r.body.experimentId);
  });

  it('a markedly worse new version is stopped by the harm rule and the old rules come back; admins are told', async () => {
    const current = await rules();
    const before = (await h.req('GET', '/api/routing/experiments', { as: '系统管理员' })).body.items[0];
    const r = await save({
      rules: current.rules,
      defaultPoolId: current.defaultPoolId,
      protective: current.protective,
      holdout: { share: 0.3, minSample: 20, harmPoints: 0.1 },
    });
    expect(r.status).toBe(200);
    // Saving a new version ended the previous test.
    const ended = (await h.req('GET', `/api/routing/experiments/${before.id}`, { as: '系统管理员' })).body;
    expect(ended).toMatchObject({ status: 'stopped', stopReason: `分配规则已保存为新版本 v${r.body.version}` });

    const ids = await intake(100);
    await plant(ids, await armsOf(r.body.experimentId), { treatment: 0.2, control: 0.9 });
    h.clock.advance(2 * DAY);
    expect(await h.experiments.checkHarm()).toBe(1);
    const report = (await h.req('GET', `/api/routing/experiments/${r.body.experimentId}`, { as: '系统管理员' })).body;
    expect(report.status).toBe('harm_stopped');
    expect(report.verdict).toContain('止损');
    const after = await rules();
    expect(after.version).toBe(r.body.version + 1);
    const control = (await h.req('GET', `/api/routing/rules/${report.controlVersion}`, { as: '系统管理员' })).body;
    expect(after.rules).toEqual(control.rules);
    expect(await h.count('alarm_message', 'dedupeKey LIKE ?', [`experiment-harm:${r.body.experimentId}:%`])).toBeGreaterThan(0);
    // New leads are routed outside any test now.
    const [next] = await intake(1);
    expect((await h.req('GET', `/api/leads/${next}/routing`, { as: '黄蓉' })).body.items[0].experiment).toBeNull();
    expect(await h.experiments.checkHarm()).toBe(0);
  });

  it('admins stop a test by hand; a stopped one answers 409; rules v1 cannot hold out; bad input 400', async () => {
    const current = await rules();
    const r = await save({ rules: current.rules, defaultPoolId: current.defaultPoolId, holdout: {} });
    expect(r.status).toBe(200);
    const [exp] = await h.ds.query('SELECT holdoutPermille, minSample, harmPermille FROM routing_experiment WHERE id = ?', [r.body.experimentId]);
    expect([Number(exp.holdoutPermille), Number(exp.minSample), Number(exp.harmPermille)]).toEqual([100, 200, 100]); // the defaults
    expect((await h.req('POST', `/api/routing/experiments/${r.body.experimentId}/stop`, { as: '李静', body: { reason: 'x' } })).status).toBe(403);
    const stopped = await h.req('POST', `/api/routing/experiments/${r.body.experimentId}/stop`, { as: '系统管理员', body: { reason: '效果已确认' } });
    expect(stopped.body).toMatchObject({ status: 'stopped', stopReason: '效果已确认' });
    expect((await h.req('POST', `/api/routing/experiments/${r.body.experimentId}/stop`, { as: '系统管理员', body: { reason: '再停' } })).status).toBe(409);
    const bad = await save({ rules: current.rules, defaultPoolId: current.defaultPoolId, holdout: { share: 0.9 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('对照组比例最多50%');
  });
});
