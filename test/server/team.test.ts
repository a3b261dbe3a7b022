import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';

const H = 3600_000;
const MARCH = Date.parse('2026-03-02T10:00:00+08:00');
const RANGE = 'from=2026-03-01&to=2026-03-31';

describeEachDb('团队: stage times against the team, days to signing, assignment with a reason', (kind) => {
  const h = new Harness(kind, 0);
  let key = 0;
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const follow = async (as: string, leadId: number, action: string, extra: Record<string, unknown> = {}) => {
    const r = await h.req('POST', '/api/followups', { as, headers: { 'idempotency-key': `team-key-${++key}` }, body: { leadId, action, ...extra } });
    expect(r.status, r.text).toBe(201);
  };

  /** A lead of `rep` that spends `days` in 首次触达 before its material is sent (方案提供). */
  const leadThrough = async (rep: string, phone: string, days: number, sign = false) => {
    h.clock.set(MARCH);
    const ownerId = (await h.user(rep)).id;
    const r = await h.req('POST', '/api/leads', {
      as: '李静',
      body: { phone, channel: '抖音-202603', name: `${rep}的客户`, city: '苏州', grade: '初二', ownerId },
    });
    expect(r.status, r.text).toBe(201);
    const id = r.body.lead.id as number;
    await follow(rep, id, '已电话沟通');
    h.clock.set(MARCH + days * 24 * H);
    await follow(rep, id, '已发送资料');
    if (sign) {
      h.clock.set(MARCH + (days + 1) * 24 * H);
      await follow(rep, id, '已签约', { signedCourse: '数学提分班' });
    }
    return id;
  };

  it('per rep, mean time in each stage against the team; the notable gaps said in a sentence', async () => {
    for (let i = 0; i < 3; i++) await leadThrough('张敏', `1390000100${i}`, 4, i === 0);
    for (let i = 0; i < 3; i++) await leadThrough('陈晨', `1390000200${i}`, 1);
    h.clock.set(MARCH + 20 * 24 * H);
    const r = await h.req('GET', `/api/metrics/team-insights?${RANGE}`, { as: '李静' });
    expect(r.status, r.text).toBe(200);
    const node = r.body.nodes.indexOf('首次触达');
    const zhang = r.body.reps.find((x: any) => x.name === '张敏');
    const chen = r.body.reps.find((x: any) => x.name === '陈晨');
    expect(zhang.hours[node]).toBeCloseTo(96, 6);
    expect(chen.hours[node]).toBeCloseTo(24, 6);
    expect(r.body.teamHours[node]).toBeCloseTo(60, 6);
    expect(r.body.teamStays[node]).toBe(6);
    const texts = r.body.callouts.map((c: any) => c.text);
    expect(texts).toContain('张敏在首次触达环节平均比团队慢1.5天');
    expect(texts).toContain('陈晨在首次触达环节平均比团队快1.5天');
    // Enquiry to signing: one signing, 5 days after entry, in 苏州 and 苏州园区中心.
    expect(r.body.signingDays.byCity).toEqual([{ value: '苏州', signed: 1, days: 5 }]);
    expect(r.body.signingDays.byCentre).toEqual([{ value: '苏州园区中心', signed: 1, days: 5 }]);
    // A rep cannot open the team view.
    expect((await h.req('GET', `/api/metrics/team-insights?${RANGE}`, { as: '张敏' })).status).toBe(403);
  });

  it('a supervisor reassigns a lead with a reason: audited and shown in the timeline', async () => {
    h.clock.set(MARCH + 21 * 24 * H);
    const ownerId = (await h.user('张敏')).id;
    const lead = (await h.req('POST', '/api/leads', { as: '李静', body: { phone: '13900003001', channel: '抖音-202603', name: '改派家长', ownerId } })).body
      .lead.id;
    const chen = (await h.user('陈晨')).id;
    const r = await h.req('PATCH', `/api/leads/${lead}`, { as: '李静', body: { ownerId: chen, assignReason: '张敏休假，转给陈晨' } });
    expect(r.status, r.text).toBe(200);
    const t = await h.req('GET', `/api/leads/${lead}/timeline`, { as: '李静' });
    const texts = t.body.items.map((i: any) => i.text);
    expect(texts).toContain('分配给 陈晨（张敏休假，转给陈晨）');
    expect(await h.count('audit_log', "entity = 'lead' AND entityId = ? AND field = 'moveReason'", [lead])).toBe(1);
    const alone = await h.req('PATCH', `/api/leads/${lead}`, { as: '李静', body: { assignReason: '只有原因' } });
    expect(alone.status).toBe(400);
    expect(alone.body.error.message).toContain('改派原因只能和负责人');
  });
});
