import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { describeEachDb, Harness, TEST_CONFIG } from '../support/harness';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { withDingtalkNotices } from '../fakes/dingtalk-messages';
import { AlarmEngine } from '../../server/src/alarms';
import { backoffMs } from '../../server/src/alarms/dispatcher';

const H = 3600_000;
// Vector D1 (old DingTalk docs "回调接口本地调试方案"); the receive id stands in for the app key.
const D1 = {
  token: '123456',
  aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
  ownerKey: 'suite4xxxxxxxxxxxxxxx',
  signature: '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0',
  timestamp: '1445827045067',
  nonce: 'nEXhMP4r',
  encrypt:
    '1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==',
};

describeEachDb('DingTalk alarms: callback crypto, work notices, signed link taps', (kind) => {
  const h = new Harness(kind, 10);
  const fake = new FakeDingtalk(D1.ownerKey, 'fake-dt-secret-01');
  let dt: ReturnType<typeof withDingtalkNotices>;
  let engine: AlarmEngine;

  beforeAll(async () => {
    await h.start();
    await fake.start();
    dt = withDingtalkNotices(fake);
    h.app.config = {
      ...TEST_CONFIG,
      dingtalk: { appKey: D1.ownerKey, appSecret: 'fake-dt-secret-01', apiBase: fake.base, callbackToken: D1.token, callbackAesKey: D1.aesKey, agentId: 3001 },
    };
    for (const [name, id] of [
      ['张敏', 'dt-zhangmin'],
      ['李静', 'dt-lijing'],
      ['黄蓉', 'dt-huangrong'],
    ]) {
      await h.ds.query(`UPDATE app_user SET dingtalkUserId = ? WHERE name = ?`, [id, name]);
    }
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
  });
  afterAll(async () => {
    await fake.stop();
    await h.stop();
  });

  const callback = (q: Record<string, string>, body: string) =>
    fetch(`${h.base}/dingtalk/callback?${new URLSearchParams(q)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  describe('callback crypto', () => {
    it('accepts vector D1 and answers the encrypted "success" signed for the same app', async () => {
      // D1 was signed in 2015: checked with the server clock at its signing time (callbacks must be fresh).
      const saved = h.clock.now();
      h.clock.set(Number(D1.timestamp) + 2000);
      const r = await callback({ signature: D1.signature, timestamp: D1.timestamp, nonce: D1.nonce }, JSON.stringify({ encrypt: D1.encrypt })).finally(() =>
        h.clock.set(saved),
      );
      expect(r.status).toBe(200);
      const reply = await r.json();
      expect(getSignature(D1.token, reply.timeStamp, reply.nonce, reply.encrypt)).toBe(reply.msg_signature);
      expect(decrypt(D1.aesKey, reply.encrypt)).toMatchObject({ message: 'success', id: D1.ownerKey });
    });
    it('refuses a tampered signature, another app key and garbage', async () => {
      expect((await callback({ signature: 'f'.repeat(40), timestamp: D1.timestamp, nonce: D1.nonce }, JSON.stringify({ encrypt: D1.encrypt }))).status).toBe(
        401,
      );
      const other = encrypt(D1.aesKey, '{"EventType":"check_url"}', 'dingotherapp');
      expect(
        (await callback({ signature: getSignature(D1.token, '1', '2', other), timestamp: '1', nonce: '2' }, JSON.stringify({ encrypt: other }))).status,
      ).toBe(401);
      expect((await callback({ signature: 'x', timestamp: '1', nonce: '2' }, '{not json')).status).toBe(400);
      expect((await callback({}, JSON.stringify({ encrypt: 5 }))).status).toBe(400);
    });
  });

  it('48 h alarm → action-card work notices (after a -1 retry); a signed button link records the pick and tells the others', async () => {
    const r = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: '13500007777', channel: '百度-品牌词', name: '何妈妈', grade: '初二', concerns: ['升学政策'] },
    });
    const leadId = r.body.lead.id;
    h.clock.advance(48 * H + 1000);
    fake.inject('POST', '/topapi/message/corpconversation/asyncsend_v2', { json: { errcode: -1, errmsg: '系统繁忙' } });
    await engine.tick();
    h.clock.advance(backoffMs(1));
    await engine.tick();
    const cards = dt.notices.filter((n) => n.msg.msgtype === 'action_card');
    expect(cards.map((c) => c.userid_list).sort()).toEqual(['dt-huangrong', 'dt-lijing', 'dt-zhangmin']);
    const rep = cards.find((c) => c.userid_list === 'dt-zhangmin').msg.action_card;
    expect(rep.markdown).toContain('何妈妈');
    expect(rep.markdown).toContain('135****7777');
    expect(rep.btn_json_list.at(-1).title).toBe('已跟进');
    const link = new URL(rep.btn_json_list[0].action_url);
    // A forged key on a real message is refused; the real link works (twice = one pick).
    const forged = new URL(link);
    forged.searchParams.set('k', 'done');
    expect((await fetch(`${h.base}${forged.pathname}${forged.search}`)).status).toBe(403);
    for (let i = 0; i < 2; i++) {
      const tap = await fetch(`${h.base}${link.pathname}${link.search}`);
      expect(tap.status).toBe(200);
      expect(await tap.text()).toContain('话术已就绪');
    }
    const zhang = await h.user('张敏');
    expect(await h.count('script_pick', 'leadId = ? AND repId = ?', [leadId, zhang.id])).toBe(1);
    await engine.tick();
    expect(
      dt.notices.some(
        (n) => n.userid_list === 'dt-zhangmin' && n.msg.msgtype === 'text' && n.msg.text.content.includes('/sidebar/#/pages/index/index?leadId='),
      ),
    ).toBe(true);
    const told = dt.notices
      .filter((n) => n.msg.msgtype === 'text' && n.msg.text.content.startsWith('提醒已处理：张敏已处理'))
      .map((n) => n.userid_list)
      .sort();
    expect(told).toEqual(['dt-huangrong', 'dt-lijing', 'dt-zhangmin']);
  });
});
