import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { AlarmEngine } from '../../server/src/alarms';

const H = 3_600_000;
const DAY = 24 * H;
let seq = 2000;
const phone = () => `1391544${String(seq++).padStart(4, '0')}`;

describeEachDb('predicted misses: the early warning learned from the company’s history, the fixed rule as fallback', (kind) => {
  const h = new Harness(kind, 0);
  let engine: AlarmEngine;
  /** 初二 history the test plants: contacted at 2 h or 14 h (40 % sign), at 30 h or never (4 % sign), 50 leads each. */
  const CONTACT = [2, 14, 30, null] as const;

  beforeAll(async () => {
    await h.start();
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
    // The demo seed's few leads are set aside (soft-deleted): the company's only history is the one planted here.
    await h.ds.query('UPDATE `lead` SET deletedAt = ? WHERE deletedAt IS NULL', [h.clock.now()]);
    for (let i = 0; i < 200; i++) {
      const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: phone(), grade: '初二', channel: '公众号-推文' } });
      const contact = CONTACT[i % 4];
      const k = i >> 2; // 0..49 within each contact group
      const signed = contact !== null && contact < 24 ? k < 20 : k < 2;
      await h.ds.query('UPDATE `lead` SET firstFollowupAt = ?, signedAt = ? WHERE id = ?', [
        contact === null ? null : r.body.lead.createdAt + contact * H,
        signed ? r.body.lead.createdAt + 5 * DAY : null,
        r.body.lead.id,
      ]);
    }
    h.clock.advance(40 * DAY);
  });
  afterAll(() => h.stop());

  const timers = async (leadId: number) =>
    Object.fromEntries(
      (await h.ds.query("SELECT rule, dueAt FROM alarm_timer WHERE leadId = ? AND state = 'pending'", [leadId])).map((r: any) => [r.rule, Number(r.dueAt)]),
    );
  const newLead = async (grade: string) => {
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: phone(), grade, name: `${grade}家长`, channel: '公众号-推文' } });
    return r.body.lead as { id: number; createdAt: number };
  };

  it('before learning, 初二 has no early warning and 初三 has the fixed 36 h one', async () => {
    const g2 = await newLead('初二');
    expect((await timers(g2.id)).high_risk).toBeUndefined();
    const g3 = await newLead('初三');
    expect((await timers(g3.id)).high_risk).toBe(g3.createdAt + 36 * H);
  });

  it('learning finds where the chance halves (18 h for 初二), arms open leads by it, and keeps the fixed rule where history is thin', async () => {
    const waiting = await newLead('初二');
    expect((await h.req('POST', '/api/alarms/miss-model/learn', { as: '李静' })).status).toBe(403);
    const r = await h.req('POST', '/api/alarms/miss-model/learn', { as: '系统管理员' });
    expect(r.status).toBe(200);
    const curve = r.body.curves.find((c: any) => c.segment === '初二');
    // Independent arithmetic: at 0 h all 200 (44 signed); at 6/12 h the 150 not yet reached (20 + 2 + 2); at 18 h the 100 (4).
    expect(curve.baseline).toBeCloseTo(44 / 200, 12);
    expect(curve.points.find((p: any) => p.hours === 12)).toMatchObject({ n: 150, chance: 24 / 150 });
    expect(curve.points.find((p: any) => p.hours === 18)).toMatchObject({ n: 100, chance: 4 / 100 });
    expect(curve.warnHours).toBe(18);
    expect(r.body.warnings).toEqual(
      expect.arrayContaining([
        { grade: '初二', hours: 18, source: 'learned' },
        { grade: '初三', hours: 36, source: 'fixed' },
      ]),
    );
    // The open lead waiting since before the learning is re-armed at once.
    expect((await timers(waiting.id)).high_risk).toBe(waiting.createdAt + 18 * H);
    const audit = await h.ds.query("SELECT after FROM audit_log WHERE entity = 'company' AND field = 'alarms.learnedRiskHours'");
    expect(JSON.parse(audit[audit.length - 1].after)).toEqual({ 初二: 18 });

    // It fires at 18 h to the supervisor, saying why.
    h.clock.advance(18 * H);
    await engine.tick();
    const [alarm] = await h.ds.query("SELECT card FROM alarm WHERE leadId = ? AND rule = 'high_risk'", [waiting.id]);
    expect(JSON.parse(alarm.card).ruleLabel).toBe('高风险：初二线索18小时未联系，按历史签约机会已降到同类的50%以下');
  });

  it('the curves are readable by managers, not reps; a company with no history keeps the fixed rule', async () => {
    expect((await h.req('GET', '/api/alarms/miss-model', { as: '张敏' })).status).toBe(403);
    const view = await h.req('GET', '/api/alarms/miss-model', { as: '李静' });
    expect(view.body.curves.map((c: any) => c.segment)).toContain('初二');
    const b = await h.addSecondCompany(4);
    const theirs = await h.req('POST', '/api/alarms/miss-model/learn', { as: '远航管理员' });
    expect(theirs.body.warnings).toEqual([{ grade: '初三', hours: 36, source: 'fixed' }]);
    expect(b.seed.companyId).not.toBe(h.seed.companyId);
  });
});
