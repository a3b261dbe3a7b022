import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';
import { AlarmEngine } from '../../server/src/alarms';

const H = 3600_000;
const MIN = 60_000;

describeEachDb('alarm escalation: unclaimed, claim, 初三 early warning, quiet hours', (kind) => {
  const h = new Harness(kind, 10);
  let engine: AlarmEngine;
  beforeAll(async () => {
    await h.start();
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
  });
  afterAll(() => h.stop());

  const create = async (phone: string, name: string, grade: string, as = '李静', ownerName = '张敏') => {
    const owner = await h.user(ownerName);
    const r = await h.req('POST', '/api/leads', { as, body: { phone, channel: '公众号-寒假讲座推文', name, grade, ownerId: owner.id } });
    expect(r.status).toBe(201);
    return r.body.lead.id as number;
  };

  it('assigned and unclaimed for 30 min → the centre supervisor; a claim in time stops it', async () => {
    h.clock.set(TEST_NOW);
    const late = await create('13600001001', '冯妈妈', '初二');
    const inTime = await create('13600001002', '陈爸爸', '初二');
    expect((await h.req('POST', `/api/leads/${inTime}/claim`, { as: '张敏' })).status).toBe(200);
    h.clock.advance(29 * MIN);
    await engine.tick();
    expect(await h.count('alarm', `rule = 'unclaimed'`)).toBe(0);
    h.clock.advance(MIN);
    await engine.tick();
    const rows = await h.ds.query(
      `SELECT a.leadId, u.name FROM alarm a JOIN alarm_message m ON m.alarmId = a.id JOIN app_user u ON u.id = m.recipientId WHERE a.rule = 'unclaimed'`,
    );
    expect(rows.map((r: any) => [Number(r.leadId), r.name])).toEqual([[late, '李静']]);
  });

  it('初三 leads untouched 36 h → one grouped warning to the supervisor, held through quiet hours until 08:00', async () => {
    h.clock.set(TEST_NOW); // 10:00; +36 h = 22:00, inside quiet hours
    for (let i = 0; i < 3; i++) await create(`1360000200${i}`, `初三家长${i}`, '初三', '张敏');
    await create('13600002009', '初三家长X', '初三', '李静', '陈晨');
    h.clock.set(TEST_NOW + 36 * H);
    await engine.tick();
    const held = await h.ds.query(`SELECT m.state, m.nextAttemptAt FROM alarm_message m JOIN alarm a ON a.id = m.alarmId WHERE a.rule = 'high_risk'`);
    expect(held.length).toBe(4);
    const morning = Date.parse('2026-01-17T08:00:00+08:00');
    expect(held.every((m: any) => m.state === 'pending' && Number(m.nextAttemptAt) === morning)).toBe(true);
    h.clock.set(morning);
    await engine.tick();
    const [digest] = await h.ds.query(`SELECT m.payload, m.state, u.name FROM alarm_message m JOIN app_user u ON u.id = m.recipientId WHERE m.kind = 'digest'`);
    expect(digest.state).toBe('sent');
    expect(digest.name).toBe('李静');
    const lines = JSON.parse(digest.payload).lines as string[];
    expect(lines[0]).toMatch(/^张敏有 3 条初三线索超过 36 小时未跟进/);
    expect(lines[1]).toMatch(/^陈晨有 1 条初三线索超过 36 小时未跟进/);
    expect(await h.count('alarm_message', `state = 'merged'`)).toBe(4);
  });

  it('a burst of cards becomes one digest; the rep’s own digest does not repeat 负责人张敏 on every line, the supervisor’s does (issue 17, defect 8)', async () => {
    h.clock.set(Date.parse('2026-02-10T10:00:00+08:00'));
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await create(`1360000600${i}`, `突发家长${i}`, '初二'));
    for (const id of ids) expect((await h.req('POST', `/api/leads/${id}/claim`, { as: '张敏' })).status).toBe(200);
    h.clock.advance(49 * H);
    await engine.tick();
    const digests = await h.ds.query(
      `SELECT m.payload, u.name FROM alarm_message m JOIN app_user u ON u.id = m.recipientId WHERE m.kind = 'digest' AND m.createdAt >= ? ORDER BY u.name`,
      [Date.parse('2026-02-10T10:00:00+08:00')],
    );
    const linesOf = (name: string) => JSON.parse(digests.find((d: any) => d.name === name).payload).lines as string[];
    const mine = linesOf('张敏');
    for (let i = 0; i < 7; i++) expect(mine.some((l) => l.startsWith(`突发家长${i}`))).toBe(true);
    for (const line of mine) expect(line).not.toContain('负责人');
    // The digest opens 我的待办 narrowed to its leads (the console links there too).
    const zhangDigest = JSON.parse(digests.find((d: any) => d.name === '张敏').payload);
    expect(zhangDigest.leadIds).toEqual(expect.arrayContaining(ids));
    const zhang = await h.user('张敏');
    const page = await h.req('GET', `/console/?user=${zhang.id}`);
    expect(page.text).toContain(`/sidebar/#/pages/todo/index?leadIds=${zhangDigest.leadIds.join(',')}`);
    const todo = await h.req('GET', `/api/todo?leadIds=${zhangDigest.leadIds.join(',')}`, { as: '张敏' });
    expect(todo.body.items.map((i: any) => i.leadId).sort()).toEqual([...new Set<number>(zhangDigest.leadIds)].sort());
    const supervisors = linesOf('李静').filter((l) => l.startsWith('突发家长'));
    expect(supervisors).toHaveLength(7);
    for (const line of supervisors) expect(line).toContain('负责人张敏');
  });

  it('an alarm held by quiet hours is withdrawn when the rep claims before the morning', async () => {
    h.clock.set(Date.parse('2026-01-20T21:40:00+08:00'));
    const id = await create('13600004001', '夜间线索', '初二');
    h.clock.advance(31 * MIN); // 22:11: the unclaimed alarm fires but waits for 08:00
    await engine.tick();
    const [held] = await h.ds.query(`SELECT m.id, m.state FROM alarm_message m JOIN alarm a ON a.id = m.alarmId WHERE a.leadId = ?`, [id]);
    expect(held.state).toBe('pending');
    h.clock.set(Date.parse('2026-01-21T07:30:00+08:00'));
    expect((await h.req('POST', `/api/leads/${id}/claim`, { as: '张敏' })).status).toBe(200);
    h.clock.set(Date.parse('2026-01-21T08:00:00+08:00'));
    await engine.tick();
    const [after] = await h.ds.query(`SELECT state, sentAt FROM alarm_message WHERE id = ?`, [held.id]);
    expect(after.state).toBe('cancelled');
    expect(after.sentAt).toBeNull();
  });

  it('a deleted lead and a lead followed up after arming raise nothing', async () => {
    h.clock.set(TEST_NOW + 100 * H);
    const a = await create('13600003001', '删除测试', '初二', '张敏');
    const b = await create('13600003002', '跟进测试', '初二', '张敏');
    expect((await h.req('DELETE', `/api/leads/${a}`, { as: '李静' })).status).toBe(200);
    const fu = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'idempotency-key': 'escalation-1' },
      body: { leadId: b, action: '已电话沟通', conclusion: '约了周六试听' },
    });
    expect(fu.status).toBe(201);
    h.clock.advance(49 * H);
    await engine.tick();
    expect(await h.count('alarm', 'leadId IN (?, ?)', [a, b])).toBe(0);
    // Restoring the lead re-arms its (now overdue) 48 h timer.
    expect((await h.req('POST', `/api/leads/${a}/restore`, { as: '李静' })).status).toBe(200);
    await engine.tick();
    expect(await h.count('alarm', `leadId = ? AND rule = 'no_followup'`, [a])).toBe(1);
  });

  it("WeCom's 1000/hour per member: over the company's hourly cap, reminders wait for the next hour instead of being dropped", async () => {
    h.clock.set(TEST_NOW);
    const company = (await h.ds.query('SELECT id, settings FROM company LIMIT 1'))[0];
    const settings = JSON.parse(company.settings || '{}');
    await h.ds.query('UPDATE company SET settings = ? WHERE id = ?', [
      JSON.stringify({ ...settings, alarms: { ...(settings.alarms ?? {}), perMemberPerHour: 2, digestAbove: 1000 } }),
      company.id,
    ]);
    const zhang = await h.user('赵丽');
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const id = await create(`1360000200${i}`, `限流${i}`, '初二', '李静', '赵丽');
      const at = new Date(h.clock.now() + 10 * MIN).toISOString();
      const f = await h.req('POST', '/api/followups', {
        as: '赵丽',
        headers: { 'idempotency-key': `hourly-${i}` },
        body: { leadId: id, action: '已电话沟通', nextStep: { at, action: '回电' } },
      });
      expect(f.status).toBe(201);
      ids.push(id);
    }
    const sentTo = async () =>
      Number(
        (
          await h.ds.query(
            `SELECT COUNT(*) AS n FROM alarm_message m JOIN alarm a ON a.id = m.alarmId WHERE m.recipientId = ? AND m.state = 'sent' AND a.rule = 'next_step'`,
            [zhang.id],
          )
        )[0].n,
      );
    h.clock.advance(10 * MIN);
    await engine.tick();
    expect(await sentTo()).toBe(2);
    h.clock.advance(30 * MIN);
    await engine.tick();
    expect(await sentTo()).toBe(2); // still inside the hour
    h.clock.advance(31 * MIN);
    await engine.tick();
    expect(await sentTo()).toBe(4); // none dropped
    await h.ds.query('UPDATE company SET settings = ? WHERE id = ?', [company.settings, company.id]);
  });
});
