import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { AlarmEngine } from '../../server/src/alarms';

const H = 3_600_000;
let seq = 1500;
const phone = () => `1391544${String(seq++).padStart(4, '0')}`;

describeEachDb('KA co-owner (双人协同): sees, records, gets reminders; KPIs stay with the owner; set by hand or by a rule', (kind) => {
  const h = new Harness(kind, 0);
  let engine: AlarmEngine;
  let n = 0;
  beforeAll(async () => {
    await h.start();
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
  });
  afterAll(() => h.stop());

  const lead = async () =>
    (await h.req('POST', '/api/leads', { as: '张敏', body: { phone: phone(), name: '大客户家长', grade: '初三', channel: '转介绍-老学员' } })).body.lead;
  const followup = (as: string, leadId: number) =>
    h.req('POST', '/api/followups', {
      as,
      headers: { 'Idempotency-Key': `co-${kind}-${++n}` },
      body: { leadId, action: '已电话沟通', conclusion: '家长想了解一对一的排课方式' },
    });

  it('a supervisor names a co-owner: they see the lead and may record (attributed to them), not edit it', async () => {
    const l = await lead();
    const chen = await h.user('陈晨');
    expect((await h.req('GET', `/api/leads/${l.id}`, { as: '陈晨' })).status).toBe(404); // not theirs yet
    expect((await h.req('PATCH', `/api/leads/${l.id}`, { as: '张敏', body: { coOwnerId: chen.id } })).status).toBe(403);
    const set = await h.req('PATCH', `/api/leads/${l.id}`, { as: '李静', body: { coOwnerId: chen.id } });
    expect(set.status).toBe(200);
    const seen = await h.req('GET', `/api/leads/${l.id}`, { as: '陈晨' });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ ownerName: '张敏', coOwnerId: chen.id, coOwnerName: '陈晨', asCoOwner: true });
    expect((await h.req('GET', `/api/leads/${l.id}/timeline`, { as: '陈晨' })).status).toBe(200);
    const list = await h.req('GET', '/api/leads?pageSize=100', { as: '陈晨' });
    expect(list.body.items.find((x: any) => x.id === l.id)).toMatchObject({ asCoOwner: true });

    const f = await followup('陈晨', l.id);
    expect(f.status, f.text).toBe(201);
    const [row] = await h.ds.query('SELECT authorId FROM followup WHERE id = ?', [f.body.id]);
    expect(Number(row.authorId)).toBe(chen.id);
    expect((await h.req('PATCH', `/api/leads/${l.id}`, { as: '陈晨', body: { journeyNode: '需求确认' } })).status).toBe(403);
    const audit = await h.req('GET', `/api/leads/${l.id}/audit`, { as: '系统管理员' });
    expect(audit.body.items.some((a: any) => a.field === 'coOwnerId' && a.after === chen.id)).toBe(true);

    // KPIs count the owner; the battle map shows the co-owned lead apart.
    const battle = await h.req('GET', '/api/metrics/rep-battle', { as: '李静' });
    const zm = battle.body.reps.find((r: any) => r.name === '张敏');
    const cc = battle.body.reps.find((r: any) => r.name === '陈晨');
    expect(cc.coOwned).toBe(1);
    expect(zm.coOwned).toBe(0);
    expect(Number((await h.ds.query('SELECT ownerId FROM lead_fact WHERE leadId = ?', [l.id]))[0].ownerId)).toBe((await h.user('张敏')).id);
  });

  it('where the company says no, the co-owner only reads; the owner and the co-owner are never the same person', async () => {
    const l = await lead();
    const chen = await h.user('陈晨');
    await h.req('PATCH', `/api/leads/${l.id}`, { as: '李静', body: { coOwnerId: chen.id } });
    expect((await h.req('PUT', '/api/settings/vocabulary', { as: '系统管理员', body: { coOwnerCanRecord: false } })).status).toBe(200);
    const refused = await followup('陈晨', l.id);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('本公司设置为协同人不能记录跟进，请联系负责人');
    await h.req('PUT', '/api/settings/vocabulary', { as: '系统管理员', body: { coOwnerCanRecord: true } });

    const same = await h.req('PATCH', `/api/leads/${l.id}`, { as: '李静', body: { coOwnerId: (await h.user('张敏')).id } });
    expect(same.status).toBe(400);
    expect(same.body.error.message).toContain('已是这条线索的负责人');
    // Handing the lead to its co-owner makes them the owner, and the co-owner slot empty.
    const moved = await h.req('PATCH', `/api/leads/${l.id}`, { as: '李静', body: { ownerId: chen.id } });
    expect(moved.status).toBe(200);
    expect((await h.req('GET', `/api/leads/${l.id}`, { as: '李静' })).body).toMatchObject({ ownerId: chen.id, coOwnerId: null });
  });

  it('the co-owner gets the same reminders as a copy', async () => {
    const l = await lead();
    const chen = await h.user('陈晨');
    await h.req('PATCH', `/api/leads/${l.id}`, { as: '李静', body: { coOwnerId: chen.id } });
    h.clock.advance(49 * H);
    await engine.tick();
    const to = await h.ds.query(
      "SELECT u.name FROM alarm_message m JOIN alarm a ON a.id = m.alarmId JOIN app_user u ON u.id = m.recipientId WHERE a.leadId = ? AND a.rule = 'no_followup'",
      [l.id],
    );
    expect(to.map((r: any) => r.name)).toEqual(expect.arrayContaining(['张敏', '陈晨']));
    // The copy is read-only: the rep's buttons (scripts, 已跟进) stay with the rep.
    const [copy] = await h.ds.query(
      "SELECT m.payload FROM alarm_message m JOIN alarm a ON a.id = m.alarmId WHERE a.leadId = ? AND a.rule = 'no_followup' AND m.recipientId = ?",
      [l.id, chen.id],
    );
    expect(JSON.parse(copy.payload).role).toBe('copy');
  });

  it("a supervisor who is only the co-owner cannot delete the lead or the owner's follow-ups", async () => {
    const l = await lead();
    const wang = await h.user('王强'); // 南京's supervisor, outside 张敏's centre
    expect((await h.req('PATCH', `/api/leads/${l.id}`, { as: '系统管理员', body: { coOwnerId: wang.id } })).status).toBe(200);
    const owners = await followup('张敏', l.id);
    expect((await h.req('GET', `/api/leads/${l.id}`, { as: '王强' })).status).toBe(200);
    expect((await h.req('DELETE', `/api/leads/${l.id}`, { as: '王强' })).status).toBe(403);
    expect((await h.req('DELETE', `/api/followups/${owners.body.id}`, { as: '王强' })).status).toBe(403);
    const own = await followup('王强', l.id);
    expect(own.status).toBe(201);
    expect((await h.req('DELETE', `/api/followups/${own.body.id}`, { as: '王强' })).status).toBe(200);
    const unknown = await h.req('PATCH', `/api/leads/${l.id}`, { as: '系统管理员', body: { coOwnerId: 999999 } });
    expect(unknown.body.error.message).toBe('协同人不存在（ID 999999）');
  });

  it('a routing rule can name the co-owner for the leads it routes (KA mode); an unknown person is refused', async () => {
    const zhou = await h.user('周杰');
    const current = (await h.req('GET', '/api/routing/rules', { as: '系统管理员' })).body.current;
    const bad = await h.req('PUT', '/api/routing/rules', {
      as: '系统管理员',
      body: { rules: [{ name: 'KA', minScore: 60, poolId: current.defaultPoolId, coOwnerId: 999999 }], defaultPoolId: current.defaultPoolId },
    });
    expect(bad.status).toBe(400);
    const ok = await h.req('PUT', '/api/routing/rules', {
      as: '系统管理员',
      body: {
        rules: [{ name: 'KA', minScore: 60, poolId: current.defaultPoolId, coOwnerId: zhou.id }, ...current.rules],
        defaultPoolId: current.defaultPoolId,
      },
    });
    expect(ok.status).toBe(200);
    const r = await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(), grade: '初三', concerns: ['升学政策'], channel: '抖音-202601直播' } });
    expect(r.body.lead.score).toBeGreaterThanOrEqual(60);
    const got = (await h.req('GET', `/api/leads/${r.body.lead.id}`, { as: '系统管理员' })).body;
    expect(got.coOwnerId).toBe(zhou.id);
    const log = (await h.req('GET', `/api/leads/${r.body.lead.id}/routing`, { as: '系统管理员' })).body.items[0];
    expect(log.reasons.note).toContain('双人协同：周杰 为协同人');
    expect((await h.req('GET', `/api/leads/${r.body.lead.id}`, { as: '周杰' })).status).toBe(200);
  });
});
