import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';

const MIN = 60_000;
const NEXT = '2026-01-21T15:00:00+08:00';
let seq = 5200;
const phone = () => `1391544${String(seq++).padStart(4, '0')}`;

describeEachDb('entry leaderboard: points for quality entries, the gaming cases earn nothing, daily top 5 and weekly totals', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  let n = 0;
  const lead = async (rep: string) => (await h.req('POST', '/api/leads', { as: rep, body: { phone: phone(), channel: '公众号-推文' } })).body.lead.id as number;
  async function entry(rep: string, leadId: number, conclusion: string, opts: { next?: boolean; voice?: boolean } = {}) {
    const r = await h.req('POST', '/api/followups', {
      as: rep,
      headers: { 'Idempotency-Key': `lb-${kind}-${++n}` },
      body: {
        leadId,
        action: '已电话沟通',
        conclusion,
        ...(opts.next ? { nextStep: { at: NEXT, action: '发试听回放' } } : {}),
        source: opts.voice ? 'voice' : 'typed',
        ...(opts.voice ? { transcript: conclusion } : {}),
      },
    });
    expect(r.status, r.text).toBe(201);
    const [row] = await h.ds.query('SELECT points, reasons FROM entry_points WHERE followupId = ?', [r.body.id]);
    return { id: r.body.id as number, points: Number(row.points), reasons: JSON.parse(row.reasons) as string[] };
  }

  it('a quality entry earns action + conclusion + next step; a voice draft confirmed earns one more; the audit says why', async () => {
    const a = await entry('张敏', await lead('张敏'), '家长关注师资，想了解班型人数', { next: true });
    expect(a).toMatchObject({ points: 5, reasons: ['记录了跟进动作 +1', '结论有实际内容 +2', '约定了下一步 +2'] });
    h.clock.advance(11 * MIN);
    const v = await entry('张敏', await lead('张敏'), '孩子数学基础弱，周末可以上课', { next: true, voice: true });
    expect(v.points).toBe(6);
    expect(v.reasons).toContain('语音草稿已确认 +1');
    const audit = await h.ds.query("SELECT after FROM audit_log WHERE entity = 'entry_points' AND entityId = ?", [a.id]);
    expect(JSON.parse(audit[0].after)).toEqual({ points: 5, reasons: a.reasons });
  });

  it('gaming: the same lead within minutes, a pasted conclusion, filler, and only quick phrases earn what they deserve', async () => {
    h.clock.advance(11 * MIN);
    const l1 = await lead('陈晨');
    const first = await entry('陈晨', l1, '家长说下周三带孩子来试听', { next: true });
    expect(first.points).toBe(5);
    h.clock.advance(3 * MIN);
    const again = await entry('陈晨', l1, '补充：家长希望周六上午', { next: true });
    expect(again).toEqual({ id: again.id, points: 0, reasons: ['10分钟内同一线索已记录过，不计分'] });
    h.clock.advance(11 * MIN);
    const pasted = await entry('陈晨', await lead('陈晨'), '家长说下周三带孩子来试听！', { next: true }); // punctuation changed only
    expect(pasted).toEqual({ id: pasted.id, points: 0, reasons: ['与7天内的另一条记录结论相同，不计分'] });
    h.clock.advance(11 * MIN);
    const filler = await entry('陈晨', await lead('陈晨'), '已沟通已沟通');
    expect(filler.points).toBe(1);
    expect(filler.reasons).toContain('结论太短或没有信息（至少6个字），不加分');
    h.clock.advance(11 * MIN);
    // A quick phrase on many leads is how the sidebar is meant to be used: not copy-paste, but not a conclusion either.
    const p1 = await entry('陈晨', await lead('陈晨'), '需和家人商量', { next: true });
    h.clock.advance(11 * MIN);
    const p2 = await entry('陈晨', await lead('陈晨'), '需和家人商量', { next: true });
    expect([p1.points, p2.points]).toEqual([3, 3]);
    expect(p2.reasons).toContain('结论只有快捷短语，不加结论分');
  });

  it("the day's top 5 for the company and the team, the week's totals, and one's own rank; a deleted entry stops counting", async () => {
    const board = await h.req('GET', '/api/leaderboard', { as: '张敏' });
    expect(board.status).toBe(200);
    expect(board.body.company.map((r: any) => [r.rank, r.name, r.points])).toEqual([
      [1, '陈晨', 12],
      [2, '张敏', 11],
    ]);
    expect(board.body.team).toMatchObject({ name: '苏州园区中心-中考组' });
    expect(board.body.me.today).toEqual({ points: 11, rank: 2 });
    expect(board.body.weekCompany[0]).toMatchObject({ name: '陈晨', points: 12 });
    expect(board.body.week).toEqual({ from: '2026-01-12', to: '2026-01-18' });
    // A centre's supervisor: the team board is the centre with its teams.
    const sup = (await h.req('GET', '/api/leaderboard', { as: '李静' })).body;
    expect(sup.team.items.map((r: any) => r.name)).toEqual(['陈晨', '张敏']);

    // Another team's rep: on the company board, not on 中考组's.
    const zhou = await entry('周杰', await lead('周杰'), '家长在对比三家机构的价格', { next: true });
    expect(zhou.points).toBe(5);
    const after = (await h.req('GET', '/api/leaderboard', { as: '张敏' })).body;
    expect(after.company.map((r: any) => r.name)).toContain('周杰');
    expect(after.team.items.map((r: any) => r.name)).not.toContain('周杰');

    // Deleting a follow-up takes its points off; restoring puts them back.
    const del = await h.req('DELETE', `/api/followups/${zhou.id}`, { as: '周杰' });
    expect(del.status).toBeLessThan(300);
    expect((await h.req('GET', '/api/leaderboard', { as: '张敏' })).body.company.map((r: any) => r.name)).not.toContain('周杰');

    // A later day starts from zero; the week keeps counting.
    h.clock.advance(24 * 60 * MIN);
    const tomorrow = (await h.req('GET', '/api/leaderboard', { as: '张敏' })).body;
    expect(tomorrow.company).toEqual([]);
    expect(tomorrow.weekCompany.map((r: any) => r.name)).toEqual(['陈晨', '张敏']);
    expect((await h.req('GET', '/api/leaderboard?day=2026-01-15', { as: '张敏' })).body.company).toHaveLength(2);
    expect((await h.req('GET', '/api/leaderboard?day=15/01', { as: '张敏' })).status).toBe(400);
  });

  it('why each entry scored: one may read one’s own, a supervisor their team’s; admins change the rules', async () => {
    const chen = await h.user('陈晨');
    expect((await h.req('GET', `/api/leaderboard/entries?userId=${chen.id}&day=2026-01-15`, { as: '张敏' })).status).toBe(403);
    const mine = await h.req('GET', `/api/leaderboard/entries?userId=${chen.id}&day=2026-01-15`, { as: '陈晨' });
    expect(mine.body.total).toBe(12);
    expect(mine.body.items.map((i: any) => i.points)).toEqual([5, 0, 0, 1, 3, 3]);
    expect((await h.req('GET', `/api/leaderboard/entries?userId=${chen.id}&day=2026-01-15`, { as: '李静' })).status).toBe(200);
    expect((await h.req('GET', `/api/leaderboard/entries?userId=${(await h.user('周杰')).id}`, { as: '李静' })).status).toBe(404);

    expect((await h.req('PUT', '/api/leaderboard/settings', { as: '李静', body: { cooldownMinutes: 30 } })).status).toBe(403);
    const bad = await h.req('PUT', '/api/leaderboard/settings', { as: '系统管理员', body: { nextStepPoints: 50 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('最多20分');
    const ok = await h.req('PUT', '/api/leaderboard/settings', { as: '系统管理员', body: { nextStepPoints: 3 } });
    expect(ok.body).toMatchObject({ changed: ['nextStepPoints'], rules: { nextStepPoints: 3 } });
    const next = await entry('张敏', await lead('张敏'), '家长同意周末带孩子来校区参观', { next: true });
    expect(next.points).toBe(6);
  });
  it('deleting an entry and writing it again earns nothing twice (restoring the first brings its points back, once)', async () => {
    h.clock.advance(11 * MIN);
    const l = await lead('赵丽');
    const first = await entry('赵丽', l, '家长想了解暑假班的上课时间', { next: true });
    expect(first.points).toBe(6); // next step worth 3 since the previous test
    expect((await h.req('DELETE', `/api/followups/${first.id}`, { as: '赵丽' })).status).toBe(200);
    h.clock.advance(11 * MIN);
    const again = await entry('赵丽', l, '家长想了解暑假班的上课时间', { next: true });
    expect(again.points).toBe(0);
    expect((await h.req('POST', `/api/followups/${first.id}/restore`, { as: '赵丽' })).status).toBe(200);
    const zhao = await h.user('赵丽');
    const mine = await h.req('GET', `/api/leaderboard/entries?userId=${zhao.id}`, { as: '赵丽' });
    expect(mine.body.total).toBe(6);
  });
});
