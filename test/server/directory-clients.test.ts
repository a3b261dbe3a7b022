import { afterAll, beforeAll, expect, it } from 'vitest';
import { encrypt, getSignature } from '@wecom/crypto';
import { directoryOf } from '../../server/src/directory';
import { describeEachDb, Harness, TEST_CONFIG, type Res } from '../support/harness';
import { FakeWecom } from '../fakes/wecom-server';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { emptyOrg, withDingtalkContacts, withWecomContacts, type FakeOrg } from '../fakes/contacts';

const ADMIN = '系统管理员';
const WX = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wwcontacts0001' };
const DT = { token: '123456', aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij', appKey: 'dingfakeappkey01', corpId: 'dingcorp0001' };

/**
 * The WeCom and DingTalk directory adapters against fake servers speaking the documented wire protocol (real HTTP,
 * tokens, errcodes, DingTalk cursor paging), driven through the product: POST /api/directory/sync, and contact-change
 * events posted to the callbacks with the real signature and encryption.
 */
describeEachDb('directory adapters: WeCom and DingTalk fakes, through the callbacks', (kind) => {
  const h = new Harness(kind, 0);
  const wx = new FakeWecom(WX.corpId, 'fake-secret-0001');
  const dt = new FakeDingtalk(DT.appKey, 'fake-dt-secret-01');
  const wxOrg: FakeOrg = emptyOrg();
  const dtOrg: FakeOrg = emptyOrg();
  const hidden = new Set<string>();
  beforeAll(async () => {
    await h.start();
    await wx.start();
    await dt.start();
    withWecomContacts(wx, wxOrg, { hidden });
    withDingtalkContacts(dt, dtOrg);
    h.app.config = {
      ...TEST_CONFIG,
      wecom: { corpId: WX.corpId, agentId: 1000002, secret: 'fake-secret-0001', apiBase: wx.base, callbackToken: WX.token, callbackAesKey: WX.aesKey },
      dingtalk: { appKey: DT.appKey, appSecret: 'fake-dt-secret-01', corpId: DT.corpId, apiBase: dt.base, callbackToken: DT.token, callbackAesKey: DT.aesKey },
    };
    await h.ds.query('UPDATE company SET wecomCorpId = ? WHERE id = ?', [WX.corpId, h.seed.companyId]);
    wxOrg.departments.set('10', { id: '10', parentId: '1', name: '苏州中心', leaders: ['WangLei'] });
    wxOrg.departments.set('11', { id: '11', parentId: '10', name: '中考组', leaders: [] });
    wxOrg.members.set('WangLei', { userId: 'WangLei', name: '王磊', departments: ['10'], main: '10', leaderIn: ['10'], status: 1 });
    wxOrg.members.set('xiaoli', { userId: 'xiaoli', name: '小李', departments: ['11', '10'], main: '11', leaderIn: [], status: 1 });
  });
  afterAll(async () => {
    await wx.stop();
    await dt.stop();
    await h.stop();
  });

  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const sync = async () => {
    const started = ok(await h.req('POST', '/api/directory/sync', { as: ADMIN, body: {} }), 'start') as any;
    await directoryOf(h.app).syncWorker.tick();
    return ok(await h.req('GET', `/api/directory/sync/${started.id}`, { as: ADMIN }), 'run') as any;
  };
  const user = async (column: 'wecomUserId' | 'dingtalkUserId', id: string) =>
    (await h.ds.query(`SELECT * FROM app_user WHERE companyId = ? AND ${column} = ?`, [h.seed.companyId, id]))[0];
  const unit = async (platform: string, externalId: string) =>
    (await h.ds.query('SELECT * FROM org_unit WHERE companyId = ? AND platform = ? AND externalId = ?', [h.seed.companyId, platform, externalId]))[0];

  /** A WeCom change_contact event, encrypted and signed as WeCom sends it: `send()` posts it (again) to the callback. */
  const wecomRequest = (fields: Record<string, string>, nonce: string) => {
    const now = String(Math.floor(h.clock.now() / 1000));
    const body = Object.entries({ ToUserName: WX.corpId, FromUserName: 'sys', CreateTime: now, MsgType: 'event', Event: 'change_contact', ...fields })
      .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
      .join('');
    const enc = encrypt(WX.aesKey, `<xml>${body}</xml>`, WX.corpId);
    const q = { msg_signature: getSignature(WX.token, now, nonce, enc), timestamp: now, nonce };
    const send = () =>
      fetch(`${h.base}/wecom/callback?${new URLSearchParams(q)}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: `<xml><ToUserName><![CDATA[${WX.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
      });
    return { send };
  };
  const wecomEvent = (fields: Record<string, string>, nonce: string) => wecomRequest(fields, nonce).send();
  /** A DingTalk contact event, encrypted with the app key as receive id and signed, posted to the callback. */
  const dingtalkEvent = async (event: Record<string, unknown>, nonce: string) => {
    const ts = String(h.clock.now());
    const enc = encrypt(DT.aesKey, JSON.stringify({ CorpId: DT.corpId, TimeStamp: ts, ...event }), DT.appKey);
    const q = { signature: getSignature(DT.token, ts, nonce, enc), timestamp: ts, nonce };
    return fetch(`${h.base}/dingtalk/callback?${new URLSearchParams(q)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ encrypt: enc }),
    });
  };

  it('WeCom: a full sync through department/list and user/list mirrors the tree, ids, main departments and leaders', async () => {
    const r = await sync();
    expect(r.status).toBe('applied');
    expect(r.diff.applied).toMatchObject({ unitsCreated: 2, usersCreated: 2 });
    const team = await unit('wecom', '11');
    expect(await user('wecomUserId', 'xiaoli')).toMatchObject({ name: '小李', orgUnitId: team.id, mainDeptId: '11', role: 'rep' });
    expect(Number((await unit('wecom', '10')).supervisorId)).toBe((await user('wecomUserId', 'WangLei')).id);
    expect(
      wx
        .calls('GET', '/cgi-bin/user/list')
        .map((c) => c.query.department_id)
        .sort(),
    ).toEqual(['1', '10', '11']);
  });

  it('WeCom: an expired token is refreshed; a busy answer (-1) is retried; a rate limit (45009) parks the run with the wait', async () => {
    wx.expireTokens();
    wx.inject('GET', '/cgi-bin/department/list', { json: { errcode: -1, errmsg: 'system busy' } });
    expect((await sync()).status).toBe('applied');
    wx.inject('GET', '/cgi-bin/user/list', { json: { errcode: 45009, errmsg: 'api freq out of limit' } });
    const parked = await sync();
    expect(parked).toMatchObject({ status: 'fetching', errorKind: 'rate_limited' });
    expect(parked.parkedUntil).toBe(h.clock.now() + 60_000);
    h.clock.advance(61_000);
    await directoryOf(h.app).syncWorker.tick();
    expect((ok(await h.req('GET', `/api/directory/sync/${parked.id}`, { as: ADMIN }), 'run') as any).status).toBe('applied');
  });

  it('WeCom: 301002 (a token of another app) fails the run with a sentence the admin can act on; the org is untouched', async () => {
    const before = await h.count('org_unit');
    wx.inject('GET', '/cgi-bin/department/list', { json: { errcode: 301002, errmsg: 'not allow operate another agent with this accesstoken' } });
    const r = await sync();
    expect(r).toMatchObject({ status: 'failed', errorKind: 'forbidden' });
    expect(r.error).toMatch(/无权读取通讯录/);
    expect(await h.count('org_unit')).toBe(before);
  });

  it('WeCom change_contact through the real callback crypto: update_user moves a member; the replayed POST is recorded once', async () => {
    wxOrg.departments.set('12', { id: '12', parentId: '10', name: '小学组', leaders: [] });
    wxOrg.members.get('xiaoli')!.departments = ['12'];
    wxOrg.members.get('xiaoli')!.main = '12';
    const request = wecomRequest({ ChangeType: 'update_user', UserID: 'xiaoli' }, 'n1');
    expect((await request.send()).status).toBe(200);
    expect((await request.send()).status).toBe(200); // the platform's retry of the same POST
    expect(await h.count('directory_event', 'companyId = ?', [h.seed.companyId])).toBe(1);
    await directoryOf(h.app).eventWorker.tick();
    expect((await user('wecomUserId', 'xiaoli')).orgUnitId).toBe((await unit('wecom', '12')).id);
  });

  it('WeCom: a member moved out of the visible scope (60011 on user/get) is treated as gone: deactivated, leads handed on', async () => {
    hidden.add('12');
    await wecomEvent({ ChangeType: 'update_user', UserID: 'xiaoli' }, 'n2');
    await directoryOf(h.app).eventWorker.tick();
    expect(await user('wecomUserId', 'xiaoli')).toMatchObject({ active: 0, inactiveBy: 'directory' });
    hidden.delete('12');
  });

  it('DingTalk: listsub walked breadth first, user/list paged by cursor (≤ 100 a page), leaders from the member lists', async () => {
    await h.ds.query('UPDATE company SET wecomCorpId = NULL, dingtalkCorpId = ? WHERE id = ?', [DT.corpId, h.seed.companyId]);
    dtOrg.departments.set('200', { id: '200', parentId: '1', name: '杭州中心', leaders: [] });
    dtOrg.departments.set('201', { id: '201', parentId: '200', name: '初中组', leaders: [] });
    for (let i = 0; i < 230; i++)
      dtOrg.members.set(`dt${i}`, { userId: `dt${i}`, name: `钉${i}`, departments: ['201'], main: '201', leaderIn: i === 0 ? ['201'] : [], status: 1 });
    const r = await sync();
    expect(r.status).toBe('applied');
    expect(r.diff.applied).toMatchObject({ unitsCreated: 2, usersCreated: 230 });
    const pages = dt.calls('POST', '/topapi/v2/user/list').filter((c) => c.body.dept_id === 201);
    expect(pages.map((c) => [c.body.cursor, c.body.size])).toEqual([
      [0, 100],
      [100, 100],
      [200, 100],
    ]);
    expect(Number((await unit('dingtalk', '201')).supervisorId)).toBe((await user('dingtalkUserId', 'dt0')).id);
  });

  it('DingTalk user_leave_org through the real callback crypto deactivates the member; org_dept_modify renames the unit', async () => {
    dtOrg.members.get('dt5')!.status = 5;
    expect((await dingtalkEvent({ EventType: 'user_leave_org', UserId: ['dt5'] }, 'd1')).status).toBe(200);
    dtOrg.departments.get('201')!.name = '初中一组';
    await dingtalkEvent({ EventType: 'org_dept_modify', DeptId: [201] }, 'd2');
    await directoryOf(h.app).eventWorker.tick();
    expect(await user('dingtalkUserId', 'dt5')).toMatchObject({ active: 0, inactiveBy: 'directory' });
    expect((await unit('dingtalk', '201')).name).toBe('初中一组');
  });

  it("DingTalk: 90018 and the IP ban (status 1111) park the run for the platform's wait; 60011 fails it with what to do", async () => {
    dt.inject('POST', '/topapi/v2/department/listsub', { json: { errcode: 90018, errmsg: '当前企业调用该接口次数已达上限' } });
    const limited = await sync();
    expect(limited).toMatchObject({ status: 'fetching', errorKind: 'rate_limited' });
    expect(limited.parkedUntil).toBe(h.clock.now() + 5 * 60_000);
    h.clock.advance(5 * 60_000 + 1);
    dt.inject('POST', '/topapi/v2/department/listsub', { json: { status: 1111, wait: 2, punish: 'deny' } });
    await directoryOf(h.app).syncWorker.tick();
    const banned = ok(await h.req('GET', `/api/directory/sync/${limited.id}`, { as: ADMIN }), 'run') as any;
    expect(banned).toMatchObject({ status: 'fetching', errorKind: 'rate_limited' });
    expect(banned.parkedUntil).toBe(h.clock.now() + 2 * 60_000);
    h.clock.advance(2 * 60_000 + 1);
    await directoryOf(h.app).syncWorker.tick();
    expect((ok(await h.req('GET', `/api/directory/sync/${limited.id}`, { as: ADMIN }), 'run') as any).status).toBe('applied');
    dt.inject('POST', '/topapi/v2/department/listsub', { json: { errcode: 60011, errmsg: '没有调用该接口的权限' } });
    const denied = await sync();
    expect(denied).toMatchObject({ status: 'failed', errorKind: 'forbidden' });
    expect(denied.error).toMatch(/钉钉/);
  });
});
