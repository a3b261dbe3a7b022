import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../server/src/clock';
import { WecomApi, WecomError } from '../../server/src/platforms/wecom/wecom-api';
import { DingtalkApi, DingtalkError } from '../../server/src/platforms/dingtalk/dingtalk-api';
import { FakeWecom } from '../fakes/wecom-server';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { UNEXPECTED_REPLIES } from '../fakes/http-fake';
import { PlatformError } from '../../server/src/platforms/platform-error';
import { WecomChannel } from '../../server/src/platforms/wecom/messages';
import { DingtalkChannel } from '../../server/src/platforms/dingtalk/messages';
import { DeliveryError, type Outgoing } from '../../server/src/channels/port';
import type { User } from '../../server/src/users/user.entity';

describe('WeCom API client against the fake server', () => {
  const fake = new FakeWecom();
  const clock = new ManualClock(Date.parse('2026-01-15T10:00:00+08:00'));
  let api: WecomApi;
  beforeAll(async () => {
    await fake.start();
    fake.route(
      'GET',
      '/cgi-bin/user/get',
      fake.authed((req) => ({ errcode: 0, errmsg: 'ok', userid: req.query.userid, name: '张敏' })),
    );
    api = new WecomApi({ corpId: fake.corpId, agentId: 1000002, secret: fake.secret, apiBase: fake.base }, clock);
  });
  afterAll(() => fake.stop());

  it('fetches one token for concurrent calls and reuses it until near expiry', async () => {
    const rs = await Promise.all([1, 2, 3].map(() => api.get<{ name: string }>('/cgi-bin/user/get', { userid: 'zhangmin' })));
    expect(rs.map((r) => r.name)).toEqual(['张敏', '张敏', '张敏']);
    expect(fake.tokenFetches).toBe(1);
    clock.advance(7200_000 - 299_000); // 299 s before expiry: inside the 5-minute safety margin, so refresh
    await api.get('/cgi-bin/user/get', { userid: 'zhangmin' });
    expect(fake.tokenFetches).toBe(2);
  });

  it('refreshes the token once on 42001 and retries the call', async () => {
    fake.expireTokens();
    const before = fake.tokenFetches;
    const r = await api.get<{ userid: string }>('/cgi-bin/user/get', { userid: 'chenchen' });
    expect(r.userid).toBe('chenchen');
    expect(fake.tokenFetches).toBe(before + 1);
  });

  it('raises other errcodes with the code, never retrying them', async () => {
    fake.inject('GET', '/cgi-bin/user/get', { json: { errcode: 60011, errmsg: 'no privilege to access/modify contact/party/agent' } });
    const err = await api.get('/cgi-bin/user/get', { userid: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(WecomError);
    expect(err.errcode).toBe(60011);
  });

  it('reports a wrong secret as 40001', async () => {
    const bad = new WecomApi({ corpId: fake.corpId, agentId: 1, secret: 'wrong', apiBase: fake.base }, clock);
    await expect(bad.accessToken()).rejects.toMatchObject({ errcode: 40001 });
  });
});

describe('DingTalk API client against the fake server', () => {
  const fake = new FakeDingtalk();
  const clock = new ManualClock(0);
  let api: DingtalkApi;
  beforeAll(async () => {
    await fake.start();
    fake.route(
      'POST',
      '/topapi/v2/user/getuserinfo',
      fake.oapiAuthed((req) => ({ errcode: 0, result: { userid: `u-${req.body.code}` } })),
    );
    fake.route(
      'POST',
      '/v1.0/robot/oToMessages/batchSend',
      fake.v1Authed(() => ({ processQueryKey: 'pqk-1' })),
    );
    api = new DingtalkApi({ appKey: fake.appKey, appSecret: fake.appSecret, apiBase: fake.base }, clock);
  });
  afterAll(() => fake.stop());

  it('calls old (oapi) and new (v1.0) APIs with one cached token', async () => {
    const u = await api.oapi<{ result: { userid: string } }>('POST', '/topapi/v2/user/getuserinfo', { code: 'abc' });
    expect(u.result.userid).toBe('u-abc');
    const s = await api.v1<{ processQueryKey: string }>('POST', '/v1.0/robot/oToMessages/batchSend', { robotCode: 'r', userIds: ['u'] });
    expect(s.processQueryKey).toBe('pqk-1');
    expect(fake.tokenFetches).toBe(1);
  });

  it('refreshes an expired token on both API styles', async () => {
    fake.expireTokens();
    await api.v1('POST', '/v1.0/robot/oToMessages/batchSend', {});
    fake.expireTokens();
    await api.oapi('POST', '/topapi/v2/user/getuserinfo', { code: 'x' });
    expect(fake.tokenFetches).toBe(3);
  });

  it('raises platform errors with their code', async () => {
    fake.inject('POST', '/topapi/v2/user/getuserinfo', { json: { errcode: 40078, errmsg: '不存在的临时授权码' } });
    const err = (await api.oapi('POST', '/topapi/v2/user/getuserinfo', { code: 'used' }).catch((e: unknown) => e)) as DingtalkError;
    expect(err).toBeInstanceOf(DingtalkError);
    expect(err.code).toBe('40078');
  });
});

describe('unexpected platform answers: one error class for the API clients, retried by the alarm channels', () => {
  const wecom = new FakeWecom();
  const dingtalk = new FakeDingtalk();
  const clock = new ManualClock(Date.parse('2026-01-15T10:00:00+08:00'));
  let wx: WecomApi;
  let dt: DingtalkApi;
  beforeAll(async () => {
    await Promise.all([wecom.start(), dingtalk.start()]);
    wecom.route(
      'POST',
      '/cgi-bin/message/send',
      wecom.authed(() => ({ errcode: 0, errmsg: 'ok' })),
    );
    dingtalk.route(
      'POST',
      '/topapi/message/corpconversation/asyncsend_v2',
      dingtalk.oapiAuthed(() => ({ errcode: 0, task_id: 1 })),
    );
    wx = new WecomApi({ corpId: wecom.corpId, agentId: 1000002, secret: wecom.secret, apiBase: wecom.base }, clock);
    dt = new DingtalkApi({ appKey: dingtalk.appKey, appSecret: dingtalk.appSecret, apiBase: dingtalk.base, agentId: 3001 }, clock);
  });
  afterAll(() => Promise.all([wecom.stop(), dingtalk.stop()]));

  const script: Outgoing = { kind: 'script', leadName: '王妈妈', text: '您好', link: 'https://crm.example.com/sidebar/' };
  const user = { wecomUserId: 'zhangmin', dingtalkUserId: 'dt-zhangmin' } as User;

  for (const [label, reply] of Object.entries(UNEXPECTED_REPLIES)) {
    it(`${label}: a PlatformError from either client, and a delivery retried later`, async () => {
      wecom.inject('POST', '/cgi-bin/message/send', reply);
      const wErr = await wx.post('/cgi-bin/message/send', {}).catch((e: unknown) => e);
      expect(wErr).toBeInstanceOf(PlatformError);
      dingtalk.inject('POST', '/topapi/message/corpconversation/asyncsend_v2', reply);
      const dErr = await dt.oapi('POST', '/topapi/message/corpconversation/asyncsend_v2', {}).catch((e: unknown) => e);
      expect(dErr).toBeInstanceOf(PlatformError);
      for (const [channel, fake, path] of [
        [new WecomChannel(wx), wecom, '/cgi-bin/message/send'],
        [new DingtalkChannel(dt, { ...dt.config }), dingtalk, '/topapi/message/corpconversation/asyncsend_v2'],
      ] as const) {
        fake.inject('POST', path, reply);
        const err = await channel.send(user, script).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DeliveryError);
        expect((err as DeliveryError).retry).toBe(true);
        await expect(channel.send(user, script)).resolves.toBeTruthy();
      }
    });
  }
});
