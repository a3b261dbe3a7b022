import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encrypt, getSignature } from '@wecom/crypto';
import { describeEachDb, Harness, TEST_CONFIG } from '../support/harness';
import { FakeWecom } from '../fakes/wecom-server';
import { withWecomMessages } from '../fakes/wecom-messages';
import { AlarmEngine } from '../../server/src/alarms';
import { backoffMs } from '../../server/src/alarms/dispatcher';

const H = 3600_000;
// Official vector A (sbzhu/weworkapi_php callback/Sample.php).
const A = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };
const VERIFY = {
  msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D',
};
const POST_A = {
  msg_signature: '477715d11cdb4164915debcba66cb864d751f3e6',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypt:
    'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
};

describeEachDb('WeCom alarms: cards, encrypted taps, card updates, errors', (kind) => {
  const h = new Harness(kind, 20);
  const fake = new FakeWecom(A.corpId, 'fake-secret-0001');
  let wx: ReturnType<typeof withWecomMessages>;
  let engine: AlarmEngine;

  beforeAll(async () => {
    await h.start();
    await fake.start();
    wx = withWecomMessages(fake);
    h.app.config = {
      ...TEST_CONFIG,
      wecom: { corpId: A.corpId, agentId: 1000002, secret: 'fake-secret-0001', apiBase: fake.base, callbackToken: A.token, callbackAesKey: A.aesKey },
    };
    for (const [name, wid] of [
      ['张敏', 'zhangmin'],
      ['李静', 'lijing'],
      ['黄蓉', 'huangrong'],
    ]) {
      await h.ds.query(`UPDATE app_user SET wecomUserId = ? WHERE name = ?`, [wid, name]);
    }
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
  });
  afterAll(async () => {
    await fake.stop();
    await h.stop();
  });

  const post = (q: Record<string, string>, body: string) =>
    fetch(`${h.base}/wecom/callback?${new URLSearchParams(q)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
  const envelope = (enc: string) =>
    `<xml><ToUserName><![CDATA[${A.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;

  describe('callback crypto', () => {
    /** The official vectors were signed in 2014: checked with the server clock at their signing time (callbacks must be fresh). */
    const atVectorTime = async <T>(ts: string, fn: () => Promise<T>): Promise<T> => {
      const saved = h.clock.now();
      h.clock.set(Number(ts) * 1000 + 2000);
      try {
        return await fn();
      } finally {
        h.clock.set(saved);
      }
    };
    it('URL verification answers the official vector with the bare plaintext', async () => {
      const r = await atVectorTime(VERIFY.timestamp, () =>
        fetch(`${h.base}/wecom/callback?msg_signature=${VERIFY.msg_signature}&timestamp=${VERIFY.timestamp}&nonce=${VERIFY.nonce}&echostr=${VERIFY.echostr}`),
      );
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('1616140317555161061');
    });
    it('accepts the official encrypted POST vector (signature, decryption, corp id) with an empty 200', async () => {
      const r = await atVectorTime(POST_A.timestamp, () =>
        post({ msg_signature: POST_A.msg_signature, timestamp: POST_A.timestamp, nonce: POST_A.nonce }, envelope(POST_A.encrypt)),
      );
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('');
    });
    it('refuses a tampered signature, a wrong corp id and garbage bodies', async () => {
      expect((await post({ msg_signature: '0'.repeat(40), timestamp: POST_A.timestamp, nonce: POST_A.nonce }, envelope(POST_A.encrypt))).status).toBe(401);
      const other = encrypt(A.aesKey, '<xml><MsgType>event</MsgType></xml>', 'wwsomeoneelse');
      expect((await post({ msg_signature: getSignature(A.token, '1', '2', other), timestamp: '1', nonce: '2' }, envelope(other))).status).toBe(401);
      expect((await post({ msg_signature: getSignature(A.token, '1', '2', 'abc'), timestamp: '1', nonce: '2' }, envelope('abc'))).status).toBe(400);
      expect((await post({ msg_signature: 'x', timestamp: '1', nonce: '2' }, 'not xml at all')).status).toBeGreaterThanOrEqual(400);
      const noParams = await fetch(`${h.base}/wecom/callback`);
      expect(noParams.status).toBe(400);
    });
  });

  it('lead passes 48 h → rep and supervisor get template cards → an encrypted tap records the script, delivers it and updates every copy', async () => {
    const r = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: '13700005555', channel: '抖音-202601直播', name: '吴妈妈', grade: '初二', concerns: ['学科提分'] },
    });
    const leadId = r.body.lead.id;
    h.clock.advance(48 * H + 1000);
    // The first send hits a throttle (45009): retried with backoff, not lost.
    fake.inject('POST', '/cgi-bin/message/send', { json: { errcode: 45009, errmsg: 'api freq out of limit' } });
    await engine.tick();
    const [alarm] = await h.ds.query(`SELECT id, taskId, scripts FROM alarm WHERE leadId = ?`, [leadId]);
    const retried = await h.ds.query(`SELECT lastError, attempts FROM alarm_message WHERE alarmId = ? AND state = 'pending'`, [alarm.id]);
    expect(retried).toHaveLength(1);
    expect(retried[0].lastError).toContain('45009');
    h.clock.advance(backoffMs(1));
    await engine.tick();
    const cards = wx.delivered.filter((d) => d.msgtype === 'template_card' && d.template_card.task_id.startsWith(alarm.taskId));
    expect(cards.map((c) => c.touser).sort()).toEqual(['huangrong', 'lijing', 'zhangmin']);
    const repCard = cards.find((c) => c.touser === 'zhangmin').template_card;
    expect(repCard.card_type).toBe('button_interaction');
    expect(repCard.horizontal_content_list).toEqual(
      expect.arrayContaining([
        { keyname: '电话', value: '137****5555' },
        { keyname: '渠道', value: '抖音-202601直播' },
      ]),
    );
    expect(repCard.button_list.map((b: any) => b.key)).toHaveLength(4);
    expect(repCard.button_list.at(-1)).toMatchObject({ text: '已跟进', key: 'done' });

    // The rep taps the second script; WeCom posts the encrypted template_card_event (and retries it).
    const scriptKey = repCard.button_list[1].key;
    const tapCode = wx.issueCode();
    const now = String(Math.floor(h.clock.now() / 1000)); // callbacks must be signed within the last 5 minutes
    const event = `<xml><ToUserName><![CDATA[${A.corpId}]]></ToUserName><FromUserName><![CDATA[zhangmin]]></FromUserName><CreateTime>${now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[${scriptKey}]]></EventKey><TaskId><![CDATA[${repCard.task_id}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[${tapCode}]]></ResponseCode><AgentID>1000002</AgentID></xml>`;
    const enc = encrypt(A.aesKey, event, A.corpId);
    const q = { msg_signature: getSignature(A.token, now, 'n1', enc), timestamp: now, nonce: 'n1' };
    const started = Date.now();
    for (let i = 0; i < 3; i++) expect((await post(q, envelope(enc))).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const zhang = await h.user('张敏');
    expect(await h.count('script_pick', 'alarmId = ? AND repId = ?', [alarm.id, zhang.id])).toBe(1);

    await engine.tick();
    const scriptMsg = wx.delivered.find((d) => d.msgtype === 'text' && d.touser === 'zhangmin');
    const chosen = JSON.parse(alarm.scripts).find((s: any) => `s${s.scriptId}` === scriptKey);
    expect(scriptMsg.text.content).toContain(chosen.text);
    expect(scriptMsg.text.content).toMatch(/\/sidebar\/#\/pages\/index\/index\?leadId=\d+&pick=\d+/);
    // Every recipient's copy updated: the tapper's with the tap's code, the others with their send codes.
    expect(wx.updates.map((u) => u.userids[0]).sort()).toEqual(['huangrong', 'lijing', 'zhangmin']);
    expect(wx.updates.find((u) => u.userids[0] === 'zhangmin').response_code).toBe(tapCode);
    expect(wx.updates.every((u) => u.button.replace_name.startsWith('张敏已处理'))).toBe(true);
    h.clock.advance(-(48 * H + 1000 + backoffMs(1)));
  });

  it('81013 (no valid recipient) is recorded as failed with the reason; an expired token is refreshed', async () => {
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13700006666', channel: '抖音-202601直播', name: '郑爸爸', grade: '初二' } });
    const leadId = r.body.lead.id;
    h.clock.advance(48 * H + 1000);
    fake.expireTokens();
    fake.inject('POST', '/cgi-bin/message/send', { json: { errcode: 81013, errmsg: 'user & party & tag all invalid' } });
    await engine.tick();
    const rows = await h.ds.query(`SELECT m.state, m.lastError FROM alarm_message m JOIN alarm a ON a.id = m.alarmId WHERE a.leadId = ? ORDER BY m.id`, [
      leadId,
    ]);
    expect(rows.filter((x: any) => x.state === 'failed')).toEqual([{ state: 'failed', lastError: expect.stringContaining('81013') }]);
    expect(rows.filter((x: any) => x.state === 'sent')).toHaveLength(2);
    h.clock.advance(-(48 * H + 1000));
  });
});
