import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCompany } from '../../server/src/onboarding/create-company';
import { describeEachDb, Harness, TEST_CONFIG, type Res } from '../support/harness';
import { FakeWecom } from '../fakes/wecom-server';
import { FakeDingtalk } from '../fakes/dingtalk-server';

const ADMIN = '系统管理员';
const WX = { corpId: 'wwonboard0001', secret: 'fake-secret-0001' };

/**
 * Onboarding (docs/onboarding.md): a company and its first admin from one command, a one-time sign-in link (once,
 * expiring, binding the WeCom account when opened there), several companies isolated, the first-run checklist read
 * from live data, and a test alarm.
 */
describeEachDb('onboarding: company creation, sign-in links, checklist, test alarm', (kind) => {
  const h = new Harness(kind, 10);
  const wx = new FakeWecom(WX.corpId, WX.secret);
  const dt = new FakeDingtalk('dingonboard01', 'fake-dt-secret-01');
  beforeAll(async () => {
    await h.start();
    await wx.start();
    await dt.start();
    dt.route(
      'POST',
      '/topapi/v2/user/getuserinfo',
      dt.oapiAuthed((req) =>
        req.body?.code === 'dt-code-sun' ? { errcode: 0, errmsg: 'ok', result: { userid: 'sun0001' } } : { errcode: 40078, errmsg: '不存在的临时授权码' },
      ),
    );
    wx.route(
      'GET',
      '/cgi-bin/auth/getuserinfo',
      wx.authed((req) => (req.query.code === 'code-zhou' ? { errcode: 0, errmsg: 'ok', userid: 'ZhouXiaozhang' } : { errcode: 40029, errmsg: 'invalid code' })),
    );
    h.app.config = {
      ...TEST_CONFIG,
      wecom: { corpId: WX.corpId, agentId: 1000002, secret: WX.secret, apiBase: wx.base },
      dingtalk: { appKey: 'dingonboard01', appSecret: 'fake-dt-secret-01', corpId: 'dingcorponboard', apiBase: dt.base },
    };
  });
  afterAll(async () => {
    await dt.stop();
    await wx.stop();
    await h.stop();
  });

  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const tokenOf = (url: string) => new URL(url).searchParams.get('signin')!;
  const link = (body: object) => h.req('POST', '/api/auth/link', { body });

  it('company:create makes a company and its admin; the link signs in once, as that admin, in that company only', async () => {
    const r = await createCompany(h.app, { name: '苏州新学校', adminName: '周校长' });
    expect(r.link.url).toMatch(/\/sidebar\/\?signin=[\w-]{20,}#\/pages\/dashboard\/index$/);
    const first = ok(await link({ token: tokenOf(r.link.url) }), 'link') as any;
    expect(first.user).toMatchObject({ name: '周校长', role: 'admin', companyId: r.company.id });
    const me = ok(await h.req('GET', '/api/me', { token: first.token }), 'me') as any;
    expect(me).toMatchObject({ id: r.admin.id, companyId: r.company.id, role: 'admin' });
    // Isolated: the new company sees only itself.
    const users = ok(await h.req('GET', '/api/users', { token: first.token }), 'users') as any;
    expect(users.items.map((u: any) => u.name)).toEqual(['周校长']);
    expect((ok(await h.req('GET', '/api/leads', { token: first.token }), 'leads') as any).items).toEqual([]);
    const again = await link({ token: tokenOf(r.link.url) });
    expect(again.status).toBe(401);
    expect(again.text).toMatch(/已经用过/);
    expect(await h.count('sign_in_link', 'usedAt IS NOT NULL AND userId = ?', [r.admin.id])).toBe(1);
    expect(await h.count('audit_log', "companyId = ? AND entity IN ('company', 'app_user', 'sign_in_link')", [r.company.id])).toBe(4);
  });

  it('a link expires after 24 h; an unknown token is refused; neither signs anyone in', async () => {
    const r = await createCompany(h.app, { name: '无锡新学校', adminName: '吴校长' });
    h.clock.advance(24 * 3600_000 + 1);
    const late = await link({ token: tokenOf(r.link.url) });
    expect(late.status).toBe(401);
    expect(late.text).toMatch(/已过期/);
    const unknown = await link({ token: 'x'.repeat(32) });
    expect(unknown.status).toBe(401);
    expect(unknown.text).toMatch(/无效/);
    expect((await link({ token: 'short' })).status).toBe(400);
    expect(await h.count('sign_in_link', 'usedAt IS NOT NULL AND userId = ?', [r.admin.id])).toBe(0);
  });

  let bound: Awaited<ReturnType<typeof createCompany>>;
  it('a corp id belongs to one company: a second company:create with it is refused and creates nothing', async () => {
    bound = await createCompany(h.app, { name: '常州新学校', adminName: '常校长', wecomCorpId: WX.corpId });
    const companies = await h.count('company');
    await expect(createCompany(h.app, { name: '冒名学校', adminName: '某人', wecomCorpId: WX.corpId })).rejects.toMatchObject({ status: 409 });
    await expect(createCompany(h.app, { name: '', adminName: '某人' })).rejects.toMatchObject({ status: 400 });
    expect(await h.count('company')).toBe(companies);
  });

  it('opened inside WeCom, the link also binds the admin to their WeCom account; a bad code leaves the link unused', async () => {
    const bad = await link({ token: tokenOf(bound.link.url), wecomCode: 'stale-code' });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    expect(await h.count('sign_in_link', 'usedAt IS NOT NULL AND userId = ?', [bound.admin.id])).toBe(0);
    const r = ok(await link({ token: tokenOf(bound.link.url), wecomCode: 'code-zhou' }), 'link + bind') as any;
    expect(r.user).toMatchObject({ id: bound.admin.id });
    const [u] = await h.ds.query('SELECT wecomUserId FROM app_user WHERE id = ?', [bound.admin.id]);
    expect(u.wecomUserId).toBe('ZhouXiaozhang');
    expect(await h.count('audit_log', "entity = 'app_user' AND entityId = ? AND field = 'wecomUserId'", [bound.admin.id])).toBe(1);
  });

  it('opened inside DingTalk, the link binds the DingTalk account the same way; a stale auth code leaves the link unused', async () => {
    const c = await createCompany(h.app, { name: '泰州新学校', adminName: '孙校长', dingtalkCorpId: 'dingcorponboard' });
    const stale = await link({ token: tokenOf(c.link.url), dingtalkAuthCode: 'old' });
    expect(stale.status).toBe(400);
    expect(stale.text).toMatch(/钉钉登录码无效/);
    ok(await link({ token: tokenOf(c.link.url), dingtalkAuthCode: 'dt-code-sun' }), 'link + bind');
    const [u] = await h.ds.query('SELECT dingtalkUserId FROM app_user WHERE id = ?', [c.admin.id]);
    expect(u.dingtalkUserId).toBe('sun0001');
  });

  it('a link opened in WeCom for a company not bound to that corp is refused and stays unused', async () => {
    const other = await createCompany(h.app, { name: '南通新学校', adminName: '南校长' });
    const r = await link({ token: tokenOf(other.link.url), wecomCode: 'code-zhou' });
    expect(r.status).toBe(409);
    expect(await h.count('sign_in_link', 'usedAt IS NOT NULL AND userId = ?', [other.admin.id])).toBe(0);
  });

  it('an admin issues a link for a user of their company; it signs that user in', async () => {
    const rep = await h.user('张敏');
    const issued = ok(await h.req('POST', `/api/users/${rep.id}/sign-in-link`, { as: ADMIN, body: {} }), 'issue') as any;
    expect(issued.expiresAt).toBe(h.clock.now() + 24 * 3600_000);
    const r = ok(await link({ token: issued.token }), 'link') as any;
    expect(r.user).toMatchObject({ id: rep.id, name: '张敏' });
    expect((await h.req('POST', `/api/users/${rep.id}/sign-in-link`, { as: '李静', body: {} })).status).toBe(403);
  });

  it('checklist: read from live data; confirming the thresholds and a delivered test alarm tick their items', async () => {
    const before = ok(await h.req('GET', '/api/onboarding/checklist', { as: ADMIN }), 'checklist') as any;
    const item = (c: any, key: string) => c.items.find((i: any) => i.key === key);
    expect(before.items.map((i: any) => i.key)).toEqual([
      'platformCredentials',
      'directorySynced',
      'unitsMapped',
      'routingPoolsFilled',
      'alarmThresholdsReviewed',
      'testAlarmDelivered',
    ]);
    expect(item(before, 'platformCredentials')).toMatchObject({ done: false });
    expect(item(before, 'directorySynced')).toMatchObject({ done: false, detail: '还没有同步过通讯录' });
    expect(item(before, 'unitsMapped')).toMatchObject({ done: true });
    expect(item(before, 'routingPoolsFilled')).toMatchObject({ done: true });
    expect(item(before, 'alarmThresholdsReviewed').done).toBe(false);
    expect(item(before, 'testAlarmDelivered').done).toBe(false);
    const confirmed = ok(await h.req('POST', '/api/onboarding/confirm', { as: ADMIN, body: { item: 'alarmThresholdsReviewed' } }), 'confirm') as any;
    expect(item(confirmed, 'alarmThresholdsReviewed').done).toBe(true);
    expect(ok(await h.req('POST', '/api/onboarding/test-alarm', { as: ADMIN, body: {} }), 'test alarm')).toEqual({ delivered: true, channel: 'local' });
    const after = ok(await h.req('GET', '/api/onboarding/checklist', { as: ADMIN }), 'checklist') as any;
    expect(item(after, 'testAlarmDelivered')).toMatchObject({ done: true });
    // A new company starts with nothing done but what it has.
    const fresh = ok(await link({ token: tokenOf((await createCompany(h.app, { name: '扬州新学校', adminName: '扬校长' })).link.url) }), 'fresh') as any;
    const empty = ok(await h.req('GET', '/api/onboarding/checklist', { token: fresh.token }), 'fresh checklist') as any;
    expect(empty.done).toBe(0);
    expect(item(empty, 'unitsMapped').detail).toBe('0 个中心、0 个小组');
  });
});
