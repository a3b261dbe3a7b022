import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { describeEachDb, Harness, TEST_CONFIG } from '../support/harness';
import { FakeWecom } from '../fakes/wecom-server';
import { withWecomMessages } from '../fakes/wecom-messages';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { withDingtalkNotices } from '../fakes/dingtalk-messages';
import { withDingtalkCards, type FakeCard } from '../fakes/dingtalk-cards';
import { AlarmEngine } from '../../server/src/alarms';
import { createApp } from '../../server/src/app';
import type { AppConfig } from '../../server/src/config';
import type { DbKind } from '../../server/src/db/data-source';
import type { HttpFake } from '../fakes/http-fake';

const H = 3600_000;
const DAY = 24 * H;
// WeCom official vector A's app (token, EncodingAESKey, corp id); DingTalk vector D1's.
const W = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };
const D1 = {
  token: '123456',
  aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
  appKey: 'suite4xxxxxxxxxxxxxxx',
  signature: '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0',
  timestamp: '1445827045067',
  nonce: 'nEXhMP4r',
  encrypt:
    '1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==',
};
const CORP = 'dingcorpfake01';

/**
 * A harness on `kind` whose 张敏 / 李静 / 黄蓉 are bound to platform ids (the `column`), with the platform `config`
 * (built once the fake listens) applied and an alarm engine; started and stopped with the suite.
 */
function alarmSetup(kind: DbKind, fake: HttpFake, column: 'wecomUserId' | 'dingtalkUserId', ids: string[], config: () => Partial<AppConfig>) {
  const s = { h: new Harness(kind, 10), engine: null as unknown as AlarmEngine };
  beforeAll(async () => {
    await s.h.start();
    await fake.start();
    s.h.app.config = { ...TEST_CONFIG, ...config() };
    for (const [i, name] of ['张敏', '李静', '黄蓉'].entries()) await s.h.ds.query(`UPDATE app_user SET ${column} = ? WHERE name = ?`, [ids[i], name]);
    s.engine = new AlarmEngine(s.h.app, { leaseMs: 30_000 });
  });
  afterAll(async () => {
    await fake.stop();
    await s.h.stop();
  });
  return s;
}

let phone = 13600001000;
/** A lead of 张敏 that goes 48 h without a follow-up, and the engine tick that raises its alarm. */
async function overdueLead(h: Harness, engine: AlarmEngine, name: string): Promise<{ leadId: number; alarmId: number }> {
  const r = await h.req('POST', '/api/leads', {
    as: '张敏',
    body: { phone: String(phone++), channel: '百度-品牌词', name, grade: '初二', concerns: ['升学政策'] },
  });
  expect(r.status, r.text).toBe(201);
  h.clock.advance(48 * H + 1000);
  await engine.tick();
  const [alarm] = await h.ds.query(`SELECT id FROM alarm WHERE leadId = ?`, [r.body.lead.id]);
  return { leadId: r.body.lead.id, alarmId: Number(alarm.id) };
}

/** What a tap may change: picks, outbox rows, audit rows, and the alarm's handled fields. */
async function effects(h: Harness, alarmId: number) {
  const [alarm] = await h.ds.query(`SELECT handledBy, handledAt FROM alarm WHERE id = ?`, [alarmId]);
  return {
    picks: await h.count('script_pick', 'alarmId = ?', [alarmId]),
    messages: await h.count('alarm_message', 'alarmId = ?', [alarmId]),
    acted: await h.count('alarm_message', `alarmId = ? AND state = 'acted'`, [alarmId]),
    audits: await h.count('audit_log'),
    handledBy: alarm.handledBy === null ? null : Number(alarm.handledBy),
  };
}

describeEachDb('WeCom callbacks are fresh: a stale signed tap is refused, a replay inside the window changes nothing', (kind) => {
  const fake = new FakeWecom(W.corpId, 'fake-secret-0001');
  const wx = withWecomMessages(fake);
  const s = alarmSetup(kind, fake, 'wecomUserId', ['zhangmin', 'lijing', 'huangrong'], () => ({
    wecom: { corpId: W.corpId, agentId: 1000002, secret: 'fake-secret-0001', apiBase: fake.base, callbackToken: W.token, callbackAesKey: W.aesKey },
  }));
  const { h } = s;
  let second: Server | undefined;
  afterAll(() => new Promise<void>((r) => (second ? second.close(() => r()) : r())));

  /** The encrypted template_card_event WeCom posts for a button, signed with the given unix-seconds timestamp. */
  function tapRequest(taskId: string, from: string, key: string, tsSeconds: number, nonce: string) {
    const event = `<xml><ToUserName><![CDATA[${W.corpId}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${tsSeconds}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[${key}]]></EventKey><TaskId><![CDATA[${taskId}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[${wx.issueCode()}]]></ResponseCode><AgentID>1000002</AgentID></xml>`;
    const enc = encrypt(W.aesKey, event, W.corpId);
    const query = new URLSearchParams({ msg_signature: getSignature(W.token, String(tsSeconds), nonce, enc), timestamp: String(tsSeconds), nonce });
    const body = `<xml><ToUserName><![CDATA[${W.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;
    return (base = h.base) => fetch(`${base}/wecom/callback?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  }

  it('a validly signed tap three days old is refused and marks nothing handled; the same tap sent now is handled', async () => {
    const { alarmId } = await overdueLead(h, s.engine, '冯妈妈');
    const card = wx.delivered.find(
      (d) => d.msgtype === 'template_card' && d.touser === 'zhangmin' && d.template_card.main_title.title.startsWith('冯妈妈'),
    ).template_card;
    const before = await effects(h, alarmId);
    const nowS = Math.floor(h.clock.now() / 1000);
    for (const age of [3 * 24 * 3600, 301]) {
      const stale = await tapRequest(card.task_id, 'zhangmin', 'done', nowS - age, `old${age}`)();
      expect(stale.status).toBe(401);
      expect((await stale.json()).error.message).toMatch(/回调已过期/);
    }
    // A timestamp from the future is as suspect as one from the past.
    expect((await tapRequest(card.task_id, 'zhangmin', 'done', nowS + 3600, 'future')()).status).toBe(401);
    expect(await effects(h, alarmId)).toEqual(before);

    const fresh = await tapRequest(card.task_id, 'zhangmin', 'done', nowS - 5, 'fresh1')();
    expect(fresh.status).toBe(200);
    const zhang = await h.user('张敏');
    expect((await effects(h, alarmId)).handledBy).toBe(zhang.id);
    h.clock.advance(-(48 * H + 1000));
  });

  it('the same signed request replayed inside the window, to this server or another one on the same database, is answered 200 and changes nothing', async () => {
    const { alarmId } = await overdueLead(h, s.engine, '褚爸爸');
    const card = wx.delivered.find(
      (d) => d.msgtype === 'template_card' && d.touser === 'lijing' && d.template_card.main_title.title.startsWith('褚爸爸'),
    ).template_card;
    const send = tapRequest(card.task_id, 'lijing', 'ack', Math.floor(h.clock.now() / 1000), 'replay1');
    expect((await send()).status).toBe(200);
    const after = await effects(h, alarmId);
    expect(after.acted).toBe(1);
    // A second server process (same database) receives the replay.
    const { koa } = createApp({ config: h.app.config, ds: h.ds, clock: h.clock });
    second = koa.listen(0, '127.0.0.1');
    await new Promise<void>((r) => second!.once('listening', () => r()));
    const otherBase = `http://127.0.0.1:${(second.address() as AddressInfo).port}`;
    for (const base of [h.base, otherBase, h.base]) {
      h.clock.advance(60_000);
      const r = await send(base);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('');
    }
    expect(await effects(h, alarmId)).toEqual(after);
    h.clock.advance(-(48 * H + 1000 + 3 * 60_000));
  });
});

describeEachDb('DingTalk callbacks: stale timestamps refused, replays answered once, card taps only from our organisation', (kind) => {
  const fake = new FakeDingtalk(D1.appKey, 'fake-dt-secret-01');
  withDingtalkNotices(fake);
  const dc = withDingtalkCards(fake);
  const s = alarmSetup(kind, fake, 'dingtalkUserId', ['dt-zhangmin', 'dt-lijing', 'dt-huangrong'], () => ({
    dingtalk: {
      appKey: D1.appKey,
      appSecret: 'fake-dt-secret-01',
      apiBase: fake.base,
      callbackToken: D1.token,
      callbackAesKey: D1.aesKey,
      agentId: 3001,
      corpId: CORP,
      cardTemplateId: 'tpl.schema',
      robotCode: dc.robotCode,
    },
  }));
  const { h } = s;

  const callback = (q: Record<string, string>, body: string) =>
    fetch(`${h.base}/dingtalk/callback?${new URLSearchParams(q)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('the official D1 vector, validly signed in 2015, is refused today', async () => {
    const r = await callback({ signature: D1.signature, timestamp: D1.timestamp, nonce: D1.nonce }, JSON.stringify({ encrypt: D1.encrypt }));
    expect(r.status).toBe(401);
    expect((await r.json()).error.message).toMatch(/回调已过期/);
  });

  it('a fresh event is answered with the encrypted "success"; its replay inside the window gets the same answer and is recorded once', async () => {
    const ts = String(h.clock.now() - 2000); // DingTalk signs milliseconds
    const enc = encrypt(D1.aesKey, '{"EventType":"check_url"}', D1.appKey);
    const q = { signature: getSignature(D1.token, ts, 'n0nce', enc), timestamp: ts, nonce: 'n0nce' };
    const receipts = await h.count('callback_receipt');
    for (let i = 0; i < 3; i++) {
      const r = await callback(q, JSON.stringify({ encrypt: enc }));
      expect(r.status).toBe(200);
      const reply = await r.json();
      expect(decrypt(D1.aesKey, reply.encrypt)).toMatchObject({ message: 'success', id: D1.appKey });
    }
    expect(await h.count('callback_receipt')).toBe(receipts + 1);
  });

  it('with DINGTALK_CORP_ID set, a card tap whose corpId is missing, not a string or another organisation is refused and records nothing', async () => {
    const { leadId, alarmId } = await overdueLead(h, s.engine, '卫妈妈');
    const card = [...dc.cards.values()].find((c: FakeCard) => c.params.leadName === '卫妈妈' && dc.userOf(c) === 'dt-zhangmin')!;
    const tap = (extra: Record<string, unknown>) => {
      const body: Record<string, unknown> = {
        outTrackId: card.outTrackId,
        userId: 'dt-zhangmin',
        type: 'actionCallback',
        content: JSON.stringify({ cardPrivateData: { actionIds: ['alarm_button'], params: { key: 'done' } } }),
        ...extra,
      };
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      return fetch(`${h.base}/dingtalk/card-callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    };
    const before = await effects(h, alarmId);
    for (const corpId of [undefined, null, 42, ['dingcorpfake01'], { id: CORP }, '', 'dingothercorp']) {
      const r = await tap({ corpId });
      expect({ corpId, status: r.status }).toEqual({ corpId, status: 403 });
      expect((await r.json()).error.message).toMatch(/不是本企业/);
    }
    expect(await effects(h, alarmId)).toEqual(before);
    expect((await tap({ corpId: CORP })).status).toBe(200);
    expect((await effects(h, alarmId)).handledBy).toBe((await h.user('张敏')).id);
    expect(leadId).toBeGreaterThan(0);
    h.clock.advance(-(48 * H + 1000));
  });
});

describeEachDb('signed tap links expire and act only for an active user who still owns or supervises the lead', (kind) => {
  const fake = new FakeDingtalk('dingfakeappkey01', 'fake-dt-secret-01');
  const dt = withDingtalkNotices(fake);
  const s = alarmSetup(kind, fake, 'dingtalkUserId', ['dt-zhangmin', 'dt-lijing', 'dt-huangrong'], () => ({
    dingtalk: { appKey: fake.appKey, appSecret: fake.appSecret, apiBase: fake.base, agentId: 3001 },
  }));
  const { h } = s;

  /** The button links of the action-card work notice a user got for a lead, by button title. */
  function links(user: string, leadName: string): Map<string, string> {
    const notice = dt.notices.find((n) => n.userid_list === user && n.msg.msgtype === 'action_card' && n.msg.action_card.markdown.includes(leadName));
    expect(notice, `${user} got no card for ${leadName}`).toBeTruthy();
    return new Map(notice.msg.action_card.btn_json_list.map((b: any) => [b.title, b.action_url]));
  }
  const open = (link: string) => {
    const u = new URL(link);
    return fetch(`${h.base}${u.pathname}${u.search}`);
  };

  it('a link opened after it expired is refused with a Chinese page and records nothing; an unexpired one works', async () => {
    const { alarmId } = await overdueLead(h, s.engine, '蒋妈妈');
    const done = links('dt-zhangmin', '蒋妈妈').get('已跟进')!;
    const before = await effects(h, alarmId);
    h.clock.advance(3 * DAY);
    const late = await open(done);
    expect(late.status).toBe(410);
    expect(await late.text()).toMatch(/链接已过期/);
    expect(await effects(h, alarmId)).toEqual(before);
    // A link whose expiry was edited is a forged link.
    const edited = new URL(done);
    edited.searchParams.set('e', String(Number(edited.searchParams.get('e')) + 10 * 86400));
    expect((await open(edited.toString())).status).toBe(403);
    // So is the old, never-expiring form (no expiry in the signed data).
    const old = new URL(done);
    old.searchParams.delete('e');
    old.searchParams.set(
      'sig',
      createHmac('sha256', TEST_CONFIG.sessionSecret)
        .update(`alarm-tap:${old.searchParams.get('m')}:done`)
        .digest('base64url')
        .slice(0, 32),
    );
    const refused = await open(old.toString());
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/已失效/);
    expect(await effects(h, alarmId)).toEqual(before);
    h.clock.advance(-3 * DAY);
    expect((await open(done)).status).toBe(200);
    expect((await effects(h, alarmId)).handledBy).toBe((await h.user('张敏')).id);
    h.clock.advance(-(48 * H + 1000));
  });

  it("a deactivated user's link records nothing and is not credited as handledBy", async () => {
    const { alarmId } = await overdueLead(h, s.engine, '沈爸爸');
    const done = links('dt-zhangmin', '沈爸爸').get('已跟进')!;
    const before = await effects(h, alarmId);
    await h.ds.query(`UPDATE app_user SET active = ? WHERE name = '张敏'`, [false]);
    try {
      const r = await open(done);
      expect(r.status).toBe(403);
      expect(await r.text()).toMatch(/账号已停用/);
      expect(await effects(h, alarmId)).toEqual(before);
    } finally {
      await h.ds.query(`UPDATE app_user SET active = ? WHERE name = '张敏'`, [true]);
    }
    h.clock.advance(-(48 * H + 1000));
  });

  it("after the lead moves to another rep, the old owner's link is refused; the supervisor of the lead still acknowledges", async () => {
    const { leadId, alarmId } = await overdueLead(h, s.engine, '韩妈妈');
    const done = links('dt-zhangmin', '韩妈妈').get('已跟进')!;
    const ack = links('dt-lijing', '韩妈妈').get('已知悉')!;
    const before = await effects(h, alarmId);
    const other = await h.user('陈晨');
    await h.ds.query('UPDATE `lead` SET ownerId = ? WHERE id = ?', [other.id, leadId]);
    const r = await open(done);
    expect(r.status).toBe(403);
    expect(await r.text()).toMatch(/不归你负责/);
    expect(await effects(h, alarmId)).toEqual(before);
    expect((await open(ack)).status).toBe(200);
    expect((await effects(h, alarmId)).acted).toBe(before.acted + 1);
    h.clock.advance(-(48 * H + 1000));
  });
});

describe('callback window and tap link expiry come from the environment', () => {
  it('CALLBACK_MAX_AGE_SECONDS and ALARM_TAP_LINK_TTL_HOURS are read, with 5 minutes and 24 hours by default', async () => {
    const { loadConfig } = await import('../../server/src/config');
    const base = { SESSION_SECRET: 'x'.repeat(20) };
    expect(loadConfig(base)).toMatchObject({ callbackMaxAgeMs: 300_000, tapLinkTtlMs: 24 * H });
    expect(loadConfig({ ...base, CALLBACK_MAX_AGE_SECONDS: '120', ALARM_TAP_LINK_TTL_HOURS: '72' })).toMatchObject({
      callbackMaxAgeMs: 120_000,
      tapLinkTtlMs: 72 * H,
    });
    expect(() => loadConfig({ ...base, CALLBACK_MAX_AGE_SECONDS: '0' })).toThrow();
  });
});
