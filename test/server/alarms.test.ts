import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { AlarmEngine } from '../../server/src/alarms';

const H = 3600_000;

describeEachDb('alarm engine (timers, local channel, console, script picks)', (kind) => {
  const h = new Harness(kind, 20);
  let engine: AlarmEngine;
  beforeAll(async () => {
    await h.start();
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
  });
  afterAll(() => h.stop());

  const newLead = async (phone: string, name: string, grade = '初二') => {
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone, channel: '抖音-202601直播', name, grade, concerns: ['学科提分'] } });
    expect(r.status).toBe(201);
    return r.body.lead.id as number;
  };
  const timers = (leadId: number) => h.ds.query(`SELECT rule, state, dueAt FROM alarm_timer WHERE leadId = ? ORDER BY rule`, [leadId]);

  it('a new lead gets its 48 h timer in the same transaction; a follow-up cancels it', async () => {
    const id = await newLead('13800001111', '钱妈妈');
    const t0 = h.clock.now();
    const rows = await timers(id);
    expect(rows.find((r: any) => r.rule === 'no_followup')).toMatchObject({ state: 'pending' });
    expect(Number(rows.find((r: any) => r.rule === 'no_followup').dueAt)).toBe(t0 + 48 * H);
    const f = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'idempotency-key': 'alarm-f-1' },
      body: { leadId: id, action: '已电话沟通', conclusion: '家长在考虑' },
    });
    expect(f.status).toBe(201);
    const after = await timers(id);
    expect(after.filter((r: any) => r.state === 'pending')).toEqual([]);
    h.clock.advance(49 * H);
    await engine.tick();
    expect(await h.count('alarm', 'leadId = ?', [id])).toBe(0);
    h.clock.advance(-49 * H);
  });

  it('a follow-up with a next step arms a reminder to the rep at that minute', async () => {
    const id = await newLead('13800002222', '孙爸爸');
    const at = new Date(h.clock.now() + 3 * H).toISOString();
    await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'idempotency-key': 'alarm-f-2' },
      body: { leadId: id, action: '已电话沟通', nextStep: { at, action: '发送试听安排' } },
    });
    const [t] = await h.ds.query(`SELECT dueAt, state FROM alarm_timer WHERE leadId = ? AND rule = 'next_step'`, [id]);
    expect(Number(t.dueAt)).toBe(Date.parse(at));
    h.clock.advance(3 * H - 60_000);
    await engine.tick();
    expect(await h.count('alarm', 'leadId = ?', [id])).toBe(0); // one minute early: nothing
    h.clock.advance(60_000);
    await engine.tick();
    const zhang = await h.user('张敏');
    const msgs = await h.ds.query(
      `SELECT m.recipientId, m.state FROM alarm_message m JOIN alarm a ON a.id = m.alarmId WHERE a.leadId = ? AND a.rule = 'next_step'`,
      [id],
    );
    expect(msgs).toEqual([{ recipientId: zhang.id, state: 'sent' }]);
    h.clock.advance(-3 * H);
  });

  it('48 h without follow-up → rep, supervisor and ops head get a card; a console tap records the script, delivers it and marks every copy handled', async () => {
    const id = await newLead('13800003333', '周妈妈');
    h.clock.advance(48 * H + 1000);
    const stats = await engine.tick();
    expect(stats.fired).toBeGreaterThanOrEqual(1);
    const [alarm] = await h.ds.query(`SELECT id, card, scripts FROM alarm WHERE leadId = ? AND rule = 'no_followup'`, [id]);
    const card = JSON.parse(alarm.card);
    expect(card).toMatchObject({ leadName: '周妈妈', maskedPhone: '138****3333', channel: '抖音-202601直播', ruleLabel: '超过48小时未跟进', repName: '张敏' });
    const scripts = JSON.parse(alarm.scripts);
    expect(scripts.length).toBe(3);
    expect(scripts[0].text).toContain('周妈妈');
    expect(scripts[0].text).not.toMatch(/[{}]/);
    const copies = await h.ds.query(
      `SELECT m.id, u.name, m.state, m.channel FROM alarm_message m JOIN app_user u ON u.id = m.recipientId WHERE m.alarmId = ? ORDER BY m.id`,
      [alarm.id],
    );
    expect(copies.map((c: any) => c.name)).toEqual(['张敏', '李静', '黄蓉']);
    expect(copies.every((c: any) => c.state === 'sent' && c.channel === 'local')).toBe(true);

    // The console shows the rep's card with its script buttons.
    const zhang = await h.user('张敏');
    const page = await h.req('GET', `/console/?user=${zhang.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('周妈妈');
    expect(page.text).toContain(`name="k" value="s${scripts[0].scriptId}"`);

    // Tap the first script (twice: a double tap is one pick).
    const repCopy = copies[0];
    for (let i = 0; i < 2; i++) {
      const tap = await fetch(`${h.base}/console/tap`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `m=${repCopy.id}&k=s${scripts[0].scriptId}`,
      });
      expect(tap.status).toBe(303);
    }
    expect(await h.count('script_pick', 'alarmId = ? AND repId = ? AND scriptId = ?', [alarm.id, zhang.id, scripts[0].scriptId])).toBe(1);
    const [handled] = await h.ds.query(`SELECT handledBy, handledAt FROM alarm WHERE id = ?`, [alarm.id]);
    expect(Number(handled.handledBy)).toBe(zhang.id);
    await engine.tick();
    const [delivered] = await h.ds.query(`SELECT payload, state FROM alarm_message WHERE alarmId = ? AND kind = 'script'`, [alarm.id]);
    expect(delivered.state).toBe('sent');
    expect(JSON.parse(delivered.payload).text).toBe(scripts[0].text);
    expect(JSON.parse(delivered.payload).link).toMatch(new RegExp(`/sidebar/#/pages/index/index\\?leadId=${id}&pick=\\d+$`));
    // The supervisor's copy now shows who handled it.
    const li = await h.user('李静');
    const sup = await h.req('GET', `/console/?user=${li.id}`);
    expect(sup.text).toContain('张敏已处理');
    // How it was handled names the script by its title, and the console's people tabs say roles in Chinese.
    expect(sup.text).toContain(`使用话术「${scripts[0].title}」`);
    expect(sup.text).not.toMatch(/使用话术#\d/);
    expect(sup.text).toContain('<small>顾问</small>');
    expect(sup.text).not.toMatch(/<small>(rep|supervisor|ops|director|admin)<\/small>/);

    // Sidebar contract: the pick is listed for the rep, then marked sent (idempotent, audited, counted).
    const picks = await h.req('GET', `/api/script-picks?leadId=${id}`, { as: '张敏' });
    expect(picks.status).toBe(200);
    expect(picks.body.items).toHaveLength(1);
    expect(picks.body.items[0]).toMatchObject({ scriptId: scripts[0].scriptId, text: scripts[0].text });
    expect((await h.req('GET', `/api/script-picks?leadId=${id}`, { as: '陈晨' })).body.items).toEqual([]);
    const pickId = picks.body.items[0].id;
    expect((await h.req('POST', `/api/script-picks/${pickId}/sent`, { as: '陈晨' })).status).toBe(404);
    const s1 = await h.req('POST', `/api/script-picks/${pickId}/sent`, { as: '张敏' });
    const s2 = await h.req('POST', `/api/script-picks/${pickId}/sent`, { as: '张敏' });
    expect([s1.status, s1.body.alreadySent, s2.status, s2.body.alreadySent]).toEqual([200, false, 200, true]);
    const [script] = await h.ds.query(`SELECT sendCount FROM script WHERE id = ?`, [scripts[0].scriptId]);
    expect(Number(script.sendCount)).toBe(1);
    expect(await h.count('audit_log', `entity = 'script_pick' AND entityId = ? AND field = 'sentAt'`, [pickId])).toBe(1);
    expect((await h.req('GET', `/api/script-picks?leadId=${id}`, { as: '张敏' })).body.items).toEqual([]);
    h.clock.advance(-(48 * H + 1000));
  });

  it('refuses forged taps and bad input without changing anything', async () => {
    const before = await h.count('script_pick');
    const bad = await fetch(`${h.base}/console/tap`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'm=999999&k=done',
    });
    expect(bad.status).toBe(404);
    const link = await fetch(`${h.base}/alarms/tap?m=1&k=done&sig=forged`);
    expect(link.status).toBe(403);
    expect((await h.req('GET', '/api/script-picks?leadId=abc', { as: '张敏' })).status).toBe(400);
    expect((await h.req('GET', '/api/script-picks?leadId=1')).status).toBe(401);
    expect(await h.count('script_pick')).toBe(before);
  });

  it('two engines ticking at once raise each alarm exactly once', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await newLead(`1390000${String(4000 + i)}`, `测试${i}`));
    h.clock.advance(48 * H + 5000);
    const other = new AlarmEngine(h.app, { leaseMs: 30_000 });
    await Promise.all([engine.tick(), other.tick(), engine.tick()]);
    const rows = await h.ds.query(`SELECT leadId, COUNT(*) AS n FROM alarm WHERE rule = 'no_followup' AND leadId IN (${ids.join(',')}) GROUP BY leadId`);
    expect(rows.length).toBe(6);
    expect(rows.every((r: any) => Number(r.n) === 1)).toBe(true);
    h.clock.advance(-(48 * H + 5000));
  });
});
