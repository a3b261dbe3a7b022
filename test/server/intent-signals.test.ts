import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { ChatSidecarFake } from '../fakes/chat-sidecar';
import { linkChatContact } from '../../server/src/signals/contacts';
import { AlarmEngine } from '../../server/src/alarms';
import { armOf } from '@lifeline/shared/src/routing';

const HOUR = 3_600_000;
let seq = 6100;
const phone = () => `1391544${String(seq++).padStart(4, '0')}`; // 苏州

describeEachDb('live intent signals: follow-ups, voice, archived chats; scores, fading, A-level moves', (kind) => {
  const h = new Harness(kind, 0);
  let sidecar: ChatSidecarFake;
  let engine: AlarmEngine;
  let companyId = 0;
  let wm = 0;

  beforeAll(async () => {
    await h.start();
    const src = await h.req('POST', '/api/event-sources', { as: '系统管理员', body: { code: 'chat-archive', name: '会话存档', kind: 'chat_archive' } });
    expect(src.status).toBe(201);
    sidecar = new ChatSidecarFake(h.base, 'chat-archive', src.body.secret, () => h.clock.now());
    await h.ds.query("UPDATE app_user SET wecomUserId = 'zhangmin' WHERE name = '张敏'");
    companyId = (await h.user('张敏')).companyId;
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
  });
  afterAll(() => h.stop());

  /** A lead of 张敏's at 高三 +25, 公众号 +10 = 35 (B-level). */
  async function lead(name: string) {
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: phone(), name, grade: '高三', channel: '公众号-寒假讲座推文' } });
    expect(r.status).toBe(201);
    expect(r.body.lead.score).toBe(35);
    return r.body.lead as { id: number; customerId: number };
  }
  const get = async (id: number) => (await h.req('GET', `/api/leads/${id}`, { as: '张敏' })).body;
  /** The customer of a 35-point lead agrees to the archive and asks for a trial and the price in chat: 35 → 75, A-level. */
  async function crossIntoA(l: { id: number; customerId: number }) {
    const p = (await h.ds.query('SELECT phone FROM customer WHERE id = ?', [l.customerId]))[0].phone;
    const contact = `wmA${kind}${++wm}`;
    expect(await linkChatContact(h.app, companyId, contact, [p])).toBe(l.customerId);
    await sidecar.post([sidecar.consent(contact, 'zhangmin', true)]);
    const r = await sidecar.post([sidecar.text(contact, 'zhangmin', '想约个试听，学费多少钱？')]);
    expect(r.body).toMatchObject({ used: 1, signals: 2 });
    await h.settle();
  }
  /** Read as the admin: a lead moved to 周杰 by the A-level rule is no longer 张敏's to read. */
  const scoreOf = async (id: number) => (await h.req('GET', `/api/leads/${id}`, { as: '系统管理员' })).body.score;
  const supervisorMessages = (leadId: number) =>
    h.ds.query('SELECT recipientId, payload, state, createdAt, sentAt FROM alarm_message WHERE dedupeKey LIKE ?', [`signal-a:${leadId}:%`]);

  it('a follow-up conclusion that asks the price and for a trial adds both signals, explained with when', async () => {
    const l = await lead('钱妈妈');
    const f = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'Idempotency-Key': `sig-${kind}-f1` },
      body: { leadId: l.id, action: '已电话沟通', conclusion: '家长问学费多少钱，想先约一节试听', source: 'typed' },
    });
    expect(f.status, f.text).toBe(201);
    const after = await get(l.id);
    expect(after.score).toBe(35 + 15 + 25);
    expect(after.scoreExplained).toContain('询问价格 +15，刚刚');
    expect(after.scoreExplained).toContain('要求试听/演示 +25，刚刚');
    const signals = await h.req('GET', `/api/leads/${l.id}/signals`, { as: '张敏' });
    expect(signals.body.items.map((s: any) => [s.name, s.phrase, s.originLabel, s.pointsNow]).sort()).toEqual([
      ['要求试听/演示', '试听', '跟进记录', 25],
      ['询问价格', '多少钱', '跟进记录', 15],
    ]);
    // The score change is audited with the signal lines in the breakdown.
    const audit = await h.req('GET', `/api/leads/${l.id}/audit`, { as: '系统管理员' });
    expect(audit.body.items.some((a: any) => a.field === 'score' && a.before === 35 && a.after === 75)).toBe(true);

    // One half-life later the signals weigh half (15 → 8, 25 → 13), after the fading refresh.
    h.clock.advance(72 * HOUR);
    const changed = await signalsRefresh();
    expect(changed).toBeGreaterThanOrEqual(1);
    const faded = await get(l.id);
    expect(faded.score).toBe(35 + 8 + 13);
    expect(faded.scoreExplained).toContain('询问价格 +8，3天前');
  });

  it('a confirmed voice entry is read with its transcript: a refusal there lowers the score', async () => {
    const l = await lead('冯妈妈');
    const f = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'Idempotency-Key': `sig-${kind}-v1` },
      body: { leadId: l.id, action: '已电话沟通', conclusion: '家长暂不考虑', transcript: '家长说孩子已经报了新东方的班，暂时不需要了', source: 'voice' },
    });
    expect(f.status, f.text).toBe(201);
    // Deleting the follow-up takes its signals off the score; restoring puts them back.
    expect((await h.req('DELETE', `/api/followups/${f.body.id}`, { as: '张敏' })).status).toBe(200);
    expect((await get(l.id)).score).toBe(35);
    expect((await h.req('POST', `/api/followups/${f.body.id}/restore`, { as: '张敏' })).status).toBe(200);
    const signals = await h.req('GET', `/api/leads/${l.id}/signals`, { as: '张敏' });
    expect(signals.body.items.map((s: any) => [s.name, s.originLabel]).sort()).toEqual([
      ['提及竞品', '语音'],
      ['明确拒绝', '语音'],
    ]);
    expect((await get(l.id)).score).toBe(35 + 10 - 40);
  });

  it('archived chats count only with consent, only what the customer says, once per message', async () => {
    const l = await lead('孙妈妈');
    const p = (await h.ds.query('SELECT phone FROM customer WHERE id = ?', [l.customerId]))[0].phone;
    expect(await linkChatContact(h.app, companyId, 'wmSun001', [p])).toBe(l.customerId);

    const before = await sidecar.post([sidecar.text('wmSun001', 'zhangmin', '你们和学而思比怎么样？')]);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ no_consent: 1, signals: 0 });
    expect((await get(l.id)).score).toBe(35);
    expect(await h.count('chat_message', 'text IS NOT NULL')).toBe(0); // not agreed: the text is not kept

    const agree = await sidecar.post([sidecar.consent('wmSun001', 'zhangmin', true)]);
    expect(agree.body).toMatchObject({ consent: 1 });
    // A late batch: a message sent before the customer agreed is still not read.
    const late = await sidecar.post([sidecar.text('wmSun001', 'zhangmin', '多少钱？', h.clock.now() - 60_000)]);
    expect(late.body).toMatchObject({ no_consent: 1, signals: 0 });
    const rep = sidecar.text('zhangmin', 'wmSun001', '我们的价格是每期3800');
    const asks = sidecar.text('wmSun001', 'zhangmin', '你们和学而思比怎么样？多少钱一期');
    const r = await sidecar.post([rep, asks]);
    expect(r.body).toMatchObject({ used: 2, signals: 2 });
    const after = await get(l.id);
    expect(after.score).toBe(35 + 10 + 15);
    expect(after.scoreExplained).toContain('提及竞品 +10，刚刚');

    const again = await sidecar.post([rep, asks]);
    expect(again.body).toMatchObject({ duplicate: 2, used: 0, signals: 0 });
    expect((await get(l.id)).score).toBe(60 - 0); // unchanged
    expect(await h.count('lead_signal', 'leadId = ?', [l.id])).toBe(2);
  });

  it('chat text is kept only as long as the company says; an unknown contact is stored without text and not read', async () => {
    const unknown = await sidecar.post([sidecar.text('wmNobody', 'zhangmin', '多少钱')]);
    expect(unknown.body).toMatchObject({ unmatched: 1, signals: 0 });
    expect(await h.count('chat_message', "externalUserId = 'wmNobody' AND text IS NULL")).toBe(1);
    const kept = await h.count('chat_message', 'text IS NOT NULL');
    expect(kept).toBeGreaterThan(0);
    await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { chatRetentionDays: 1 } });
    h.clock.advance(2 * 24 * HOUR);
    expect(await h.signals.purgeChatText()).toBe(kept);
    expect(await h.count('chat_message', 'text IS NOT NULL')).toBe(0);
    expect(await h.count('lead_signal')).toBeGreaterThan(0); // the signals stay, with the phrase that matched
  });

  it('bad pushes change nothing: wrong signature 401, unknown or non-chat source 404, malformed body 400 in Chinese', async () => {
    const n = await h.count('chat_message');
    const msg = sidecar.text('wmX', 'zhangmin', '多少钱');
    expect((await sidecar.post([msg], { secret: 'evsec_wrong' })).status).toBe(401);
    expect((await sidecar.post([msg], { code: 'nope' })).status).toBe(404);
    const bad = await sidecar.post([], { body: JSON.stringify({ messages: [{ msgId: 'x', from: 'a', time: 5, type: 'text' }] }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/毫秒时间戳/);
    expect(await h.count('chat_message')).toBe(n);
  });

  it('crossing into A-level re-runs the rules that ask for it and tells the supervisor; the move is in the decision log', async () => {
    const [zhou] = await Promise.all([h.user('周杰')]);
    const unit = Number((await h.ds.query("SELECT id FROM org_unit WHERE name = '南京鼓楼中心-综合组'"))[0].id);
    const pool = await h.req('POST', '/api/routing/pools', { as: '系统管理员', body: { name: '资深顾问池', orgUnitId: unit, members: [{ userId: zhou.id }] } });
    expect(pool.status).toBe(201);
    const current = (await h.req('GET', '/api/routing/rules', { as: '系统管理员' })).body.current;
    const saved = await h.req('PUT', '/api/routing/rules', {
      as: '系统管理员',
      body: {
        rules: [{ name: 'A级进资深池', minScore: 60, poolId: pool.body.id, rerouteOnA: true }, ...current.rules],
        defaultPoolId: current.defaultPoolId,
        protective: current.protective,
      },
    });
    expect(saved.status).toBe(200);

    const l = await lead('吴妈妈');
    const p = (await h.ds.query('SELECT phone FROM customer WHERE id = ?', [l.customerId]))[0].phone;
    await linkChatContact(h.app, companyId, 'wmWu001', [p]);
    await sidecar.post([sidecar.consent('wmWu001', 'zhangmin', true)]);
    const r = await sidecar.post([sidecar.text('wmWu001', 'zhangmin', '想约个试听，学费多少钱？')]);
    expect(r.body).toMatchObject({ used: 1, signals: 2 });
    await h.settle();

    const moved = await h.req('GET', `/api/leads/${l.id}`, { as: '系统管理员' });
    expect(moved.body).toMatchObject({ score: 75, ownerId: zhou.id });
    const log = await h.req('GET', `/api/leads/${l.id}/routing`, { as: '系统管理员' });
    const d = log.body.items.find((i: any) => i.kind === 'signal');
    expect(d).toMatchObject({ outcome: 'assigned', rule: { name: 'A级进资深池' }, pool: { name: '资深顾问池' }, owner: { id: zhou.id } });
    expect(d.reasons.rule).toContain('意向信号 询问价格（“多少钱”）、要求试听/演示（“试听”）：评分 35 → 75，升为A级');
    const [msg] = await h.ds.query('SELECT recipientId, payload FROM alarm_message WHERE dedupeKey LIKE ?', [`signal-a:${l.id}:%`]);
    expect(msg).toBeDefined();
    expect(JSON.parse(msg.payload)).toMatchObject({ title: 'A级意向线索', leadIds: [l.id] });
    expect(JSON.parse(msg.payload).lines[0]).toContain('已按规则改派给 周杰');
    const zm = await h.user('张敏');
    expect(Number(msg.recipientId)).not.toBe(zm.id);

    // The dispatcher's next tick delivers it: the supervisor's card is there within a minute of the crossing.
    const crossedAt = h.clock.now();
    h.clock.advance(1000); // ALARM_TICK_SECONDS
    await engine.tick();
    const [sent] = await supervisorMessages(l.id);
    expect(sent.state).toBe('sent');
    expect(Number(sent.sentAt) - crossedAt).toBeLessThanOrEqual(60_000);
    const page = await h.req('GET', `/console/?user=${Number(msg.recipientId)}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('A级意向线索');
    expect(page.text).toContain('吴妈妈：意向信号 询问价格');
    expect(page.text).toContain('已按规则改派给 周杰');
  });

  it('an A-level crossing never makes the owner the co-owner: the co-owner picked as owner leaves the co-owner slot', async () => {
    const zhou = await h.user('周杰');
    const l = await lead('蒋妈妈');
    const set = await h.req('PATCH', `/api/leads/${l.id}`, { as: '系统管理员', body: { coOwnerId: zhou.id } });
    expect(set.status, set.text).toBe(200);
    await crossIntoA(l);
    const after = await h.req('GET', `/api/leads/${l.id}`, { as: '系统管理员' });
    expect(after.body).toMatchObject({ score: 75, ownerId: zhou.id, coOwnerId: null });
    const [row] = await h.ds.query('SELECT ownerId, coOwnerId FROM `lead` WHERE id = ?', [l.id]);
    expect(row.coOwnerId).toBeNull();
    const audit = await h.req('GET', `/api/leads/${l.id}/audit`, { as: '系统管理员' });
    expect(audit.body.items.some((a: any) => a.field === 'coOwnerId' && a.before === zhou.id && a.after === null)).toBe(true);
    // 周杰 still sees it, now as its owner.
    expect((await h.req('GET', `/api/leads/${l.id}`, { as: '周杰' })).body).toMatchObject({ asCoOwner: false });
  });

  it('an A/B control lead stays where the old rules put it when it turns A-level; its arm stays recorded', async () => {
    const zhou = await h.user('周杰');
    const current = (await h.req('GET', '/api/routing/rules', { as: '系统管理员' })).body.current;
    expect(current.rules[0]).toMatchObject({ name: 'A级进资深池', rerouteOnA: true });
    const saved = await h.req('PUT', '/api/routing/rules', {
      as: '系统管理员',
      body: { rules: current.rules, defaultPoolId: current.defaultPoolId, protective: current.protective, holdout: { share: 0.5 } },
    });
    expect(saved.status, saved.text).toBe(200);
    const experimentId = saved.body.experimentId as number;
    const [exp] = await h.ds.query('SELECT salt FROM routing_experiment WHERE id = ?', [experimentId]);
    // Leads routed automatically (entered by ops) until one of each arm.
    const byArm: Record<string, { id: number; customerId: number; ownerId: number }> = {};
    for (let i = 0; i < 40 && !(byArm.control && byArm.treatment); i++) {
      const r = await h.req('POST', '/api/leads', { as: '黄蓉', body: { phone: phone(), name: `A/B家长${i}`, grade: '高三', channel: '公众号-寒假讲座推文' } });
      expect(r.status, r.text).toBe(201);
      expect(r.body.lead.score).toBeLessThan(60);
      byArm[armOf(exp.salt, r.body.lead.id, 0.5)] ??= r.body.lead;
    }
    const { control, treatment } = byArm;
    expect(control && treatment).toBeTruthy();
    const ownerBefore = (await h.req('GET', `/api/leads/${control.id}`, { as: '系统管理员' })).body.ownerId;
    expect(ownerBefore).not.toBeNull();
    expect(ownerBefore).not.toBe(zhou.id);

    await crossIntoA(control);
    await crossIntoA(treatment);

    const c = await h.req('GET', `/api/leads/${control.id}`, { as: '系统管理员' });
    expect(c.body).toMatchObject({ score: 75, ownerId: ownerBefore });
    const cLog = (await h.req('GET', `/api/leads/${control.id}/routing`, { as: '系统管理员' })).body.items;
    expect(cLog.some((i: any) => i.kind === 'signal')).toBe(false);
    expect(cLog.find((i: any) => i.kind === 'auto').experiment).toEqual({ id: experimentId, arm: 'control' });
    // The supervisor still hears about it, without a move.
    const [cMsg] = await supervisorMessages(control.id);
    expect(JSON.parse(cMsg.payload).lines[0]).toContain('升为A级');
    expect(JSON.parse(cMsg.payload).lines[0]).not.toContain('改派');

    // The same crossing on the new rules' side is moved.
    expect((await h.req('GET', `/api/leads/${treatment.id}`, { as: '系统管理员' })).body).toMatchObject({ score: 75, ownerId: zhou.id });
    const tLog = (await h.req('GET', `/api/leads/${treatment.id}/routing`, { as: '系统管理员' })).body.items;
    expect(tLog.find((i: any) => i.kind === 'signal')).toMatchObject({ outcome: 'assigned', owner: { id: zhou.id } });
    expect(tLog.find((i: any) => i.kind === 'auto').experiment).toEqual({ id: experimentId, arm: 'treatment' });

    // Stop the test so the rest of the file routes on one version.
    const stop = await h.req('POST', `/api/routing/experiments/${experimentId}/stop`, { as: '系统管理员', body: { reason: '测试结束' } });
    expect(stop.status, stop.text).toBe(200);
  });

  it('with 保留天数 0 no chat text is kept, yet the signals count', async () => {
    expect((await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { chatRetentionDays: 0 } })).status).toBe(200);
    const l = await lead('韩妈妈');
    await crossIntoA(l);
    expect(await scoreOf(l.id)).toBe(75);
    expect(await h.count('lead_signal', 'leadId = ?', [l.id])).toBe(2);
    const rows = await h.ds.query("SELECT status, text FROM chat_message WHERE customerId = ? AND type = 'text'", [l.customerId]);
    expect(rows).toEqual([{ status: 'used', text: null }]);
    expect((await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { chatRetentionDays: 30 } })).status).toBe(200);
  });

  it('a new half-life re-scores the leads at once, and the explanation shows the new weight', async () => {
    const l = await lead('杨妈妈');
    const f = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'Idempotency-Key': `sig-${kind}-hl` },
      body: { leadId: l.id, action: '已电话沟通', conclusion: '家长问一期多少钱' },
    });
    expect(f.status, f.text).toBe(201);
    expect((await get(l.id)).score).toBe(35 + 15);
    h.clock.advance(24 * HOUR);
    const ok = await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { halfLifeHours: 24 } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.recomputed.changed).toBeGreaterThan(0);
    // One 24-hour half-life later: 15 → 7.5 → 8.
    const faded = await get(l.id);
    expect(faded.score).toBe(35 + 8);
    expect(faded.scoreExplained).toContain('询问价格 +8，24小时前');
    // Back to 72 hours: 15 × 0.5^(24/72) = 11.9 → 12.
    await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { halfLifeHours: 72 } });
    const back = await get(l.id);
    expect(back.score).toBe(35 + 12);
    expect(back.scoreExplained).toContain('询问价格 +12，24小时前');
  });

  it('with 升为A级时通知主管 off, a crossing sends the supervisor nothing (the lead still turns A-level)', async () => {
    expect((await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { alarmSupervisorOnA: false } })).status).toBe(200);
    const l = await lead('朱妈妈');
    await crossIntoA(l);
    expect(await scoreOf(l.id)).toBe(75);
    expect(await supervisorMessages(l.id)).toEqual([]);
    expect((await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { alarmSupervisorOnA: true } })).status).toBe(200);
    const again = await lead('秦妈妈');
    await crossIntoA(again);
    expect(await supervisorMessages(again.id)).toHaveLength(1);
  });

  it('admins edit the classes; a rep may not; a new static share re-scores every lead', async () => {
    const denied = await h.req('PUT', '/api/signals/settings', { as: '张敏', body: { staticShare: 0.2 } });
    expect(denied.status).toBe(403);
    const bad = await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { staticShare: 1.5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('静态因素占比');
    const l = await lead('郑妈妈');
    const ok = await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { staticShare: 0.2 } });
    expect(ok.status).toBe(200);
    expect(ok.body.recomputed.changed).toBeGreaterThan(0);
    // 高三 25 × ½ → 13 (rounded), 公众号 10 × ½ → 5.
    expect((await get(l.id)).score).toBe(13 + 5);
    await h.req('PUT', '/api/signals/settings', { as: '系统管理员', body: { staticShare: 0.4 } });
    expect((await get(l.id)).score).toBe(35);
  });

  async function signalsRefresh() {
    return h.signals.refreshFading();
  }
});
