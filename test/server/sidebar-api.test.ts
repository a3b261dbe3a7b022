import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Harness, describeEachDb } from '../support/harness';
import { FakeWecom } from '../fakes/wecom-server';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { FakeLlm } from '../fakes/llm-server';
import { User } from '../../server/src/users/user.entity';

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

describeEachDb('sidebar server: platform login, JS-SDK signature, chat contact, voice draft', (kind) => {
  const wecom = new FakeWecom();
  const dingtalk = new FakeDingtalk();
  const llm = new FakeLlm();
  let h: Harness;
  const codes = new Map<string, string>([
    ['code-zhangmin', 'zhangmin'],
    ['code-stranger', 'nobody'],
  ]);
  /** Remark mobiles a colleague recorded on 王妈妈: set per test (their private number, customers of either rep). */
  let colleagueRemark: string[] = ['13800138000'];

  beforeAll(async () => {
    await Promise.all([wecom.start(), dingtalk.start(), llm.start()]);
    wecom.route(
      'GET',
      '/cgi-bin/auth/getuserinfo',
      wecom.authed((req) => {
        if (req.query.code === 'code-outsider') return { errcode: 0, errmsg: 'ok', openid: 'o-123' };
        const userid = codes.get(req.query.code);
        return userid ? { errcode: 0, errmsg: 'ok', userid } : { errcode: 40029, errmsg: 'invalid code' };
      }),
    );
    wecom.route(
      'GET',
      '/cgi-bin/get_jsapi_ticket',
      wecom.authed(() => ({ errcode: 0, errmsg: 'ok', ticket: 'corp-ticket-SECRET', expires_in: 7200 })),
    );
    wecom.route(
      'GET',
      '/cgi-bin/ticket/get',
      wecom.authed((req) =>
        req.query.type === 'agent_config'
          ? { errcode: 0, errmsg: 'ok', ticket: 'agent-ticket-SECRET', expires_in: 7200 }
          : { errcode: 40001, errmsg: 'bad type' },
      ),
    );
    wecom.route(
      'GET',
      '/cgi-bin/externalcontact/get',
      wecom.authed((req) => {
        if (req.query.external_userid !== 'wmWang') return { errcode: 84061, errmsg: 'not external contact' };
        return {
          errcode: 0,
          errmsg: 'ok',
          external_contact: { external_userid: 'wmWang', name: '王妈妈', type: 1 },
          follow_user: [
            { userid: 'other', remark: '', remark_mobiles: colleagueRemark },
            { userid: 'zhangmin', remark: '王妈妈-初三', remark_mobiles: ['+86 139-1544-1234', '12345'] },
          ],
        };
      }),
    );
    dingtalk.route(
      'POST',
      '/topapi/v2/user/getuserinfo',
      dingtalk.oapiAuthed((req) =>
        req.body?.code === 'dt-good' ? { errcode: 0, result: { userid: 'dt-zhangmin' } } : { errcode: 40078, errmsg: '不存在的临时授权码' },
      ),
    );
    h = await new Harness(kind, 20, {
      wecom: { corpId: wecom.corpId, agentId: 1000002, secret: wecom.secret, apiBase: wecom.base },
      dingtalk: { appKey: dingtalk.appKey, appSecret: dingtalk.appSecret, apiBase: dingtalk.base, corpId: 'dingcorp' },
      llm: { baseUrl: llm.v1, apiKey: llm.apiKey, model: 'qwen-plus', asrModel: 'whisper-1', timeoutMs: 2000 },
    }).start();
    await h.ds.getRepository(User).update({ name: '张敏' }, { wecomUserId: 'zhangmin', dingtalkUserId: 'dt-zhangmin' });
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all([wecom.stop(), dingtalk.stop(), llm.stop()]);
  });

  it('WeCom OAuth code → the same session token as dev-login, for the user bound to that userid', async () => {
    const r = await h.req('POST', '/api/auth/wecom', { body: { code: 'code-zhangmin' } });
    expect(r.status).toBe(200);
    expect(r.body.user.name).toBe('张敏');
    const me = await h.req('GET', '/api/me', { token: r.body.token });
    expect(me.body.name).toBe('张敏');
  });

  it('WeCom login refuses a bad code, a non-member and an unbound member with Chinese messages', async () => {
    const bad = await h.req('POST', '/api/auth/wecom', { body: { code: 'used-code' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('登录码无效');
    const outsider = await h.req('POST', '/api/auth/wecom', { body: { code: 'code-outsider' } });
    expect(outsider.status).toBe(403);
    const unbound = await h.req('POST', '/api/auth/wecom', { body: { code: 'code-stranger' } });
    expect(unbound.status).toBe(403);
    expect(unbound.body.error.message).toContain('联系管理员');
    const empty = await h.req('POST', '/api/auth/wecom', { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('登录码');
  });

  it('DingTalk auth code → session; a stale code is a 400', async () => {
    const r = await h.req('POST', '/api/auth/dingtalk', { body: { authCode: 'dt-good' } });
    expect(r.status).toBe(200);
    expect(r.body.user.name).toBe('张敏');
    const bad = await h.req('POST', '/api/auth/dingtalk', { body: { authCode: 'dt-old' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('钉钉登录码无效');
  });

  it('signs the page URL (without #fragment) with both tickets, fetches each ticket once and never sends a ticket', async () => {
    const url = 'https://crm.example.com/sidebar/?leadId=3';
    const r = await h.req('GET', `/api/wecom/jsapi-signature?url=${encodeURIComponent(`${url}#/pages/index/index`)}`, { as: '张敏' });
    expect(r.status).toBe(200);
    const { timestamp, nonceStr, signature, agentSignature, corpId, agentId } = r.body;
    expect({ corpId, agentId }).toEqual({ corpId: wecom.corpId, agentId: 1000002 });
    expect(signature).toBe(sha1(`jsapi_ticket=corp-ticket-SECRET&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`));
    expect(agentSignature).toBe(sha1(`jsapi_ticket=agent-ticket-SECRET&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`));
    expect(r.text).not.toContain('SECRET');
    await h.req('GET', `/api/wecom/jsapi-signature?url=${encodeURIComponent(url)}`, { as: '张敏' });
    expect(wecom.calls('GET', '/cgi-bin/get_jsapi_ticket')).toHaveLength(1);
    expect(wecom.calls('GET', '/cgi-bin/ticket/get')).toHaveLength(1);
    const bad = await h.req('GET', '/api/wecom/jsapi-signature?url=not-a-url', { as: '张敏' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('页面地址');
    expect((await h.req('GET', `/api/wecom/jsapi-signature?url=${encodeURIComponent(url)}`)).status).toBe(401);
  });

  it("reads the chat's external contact: the rep's own remark mobile first, normalised; junk numbers dropped", async () => {
    const r = await h.req('GET', '/api/wecom/external-contact/wmWang', { as: '张敏' });
    expect(r.status).toBe(200);
    // The colleague's remark mobile is nobody's customer: it is the colleague's note, not the rep's.
    expect(r.body).toEqual({ externalUserId: 'wmWang', name: '王妈妈', remark: '王妈妈-初三', phones: ['13915441234'] });
    const lookup = await h.req('GET', `/api/customers/lookup?phone=${r.body.phones[0]}`, { as: '张敏' });
    expect(lookup.body.customer.name).toBe('王妈妈');
    const missing = await h.req('GET', '/api/wecom/external-contact/wmNobody', { as: '张敏' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('手动输入手机号');
  });

  it("a rep gets the numbers they recorded and their own customers' numbers; never what a colleague recorded for anyone else", async () => {
    const zhang = await h.user('张敏');
    const chen = await h.user('陈晨');
    const phoneOf = async (ownerId: number) =>
      String(
        (
          await h.ds.query(
            'SELECT c.phone FROM customer c JOIN `lead` l ON l.customerId = c.id WHERE l.ownerId = ? AND l.deletedAt IS NULL AND c.phone <> ? ORDER BY l.id LIMIT 1',
            [ownerId, '13915441234'],
          )
        )[0].phone,
      );
    const zhangs = await phoneOf(zhang.id);
    const chens = await phoneOf(chen.id);
    colleagueRemark = ['13800138000', chens, zhangs];
    try {
      const rep = await h.req('GET', '/api/wecom/external-contact/wmWang', { as: '张敏' });
      expect(rep.status).toBe(200);
      expect(rep.body.phones).toEqual(['13915441234', zhangs]);
      expect(rep.text).not.toContain('13800138000');
      expect(rep.text).not.toContain(chens);
      // A masked role gets every number, masked; the admin (company-wide, sees phones) all of them.
      const director = await h.req('GET', '/api/wecom/external-contact/wmWang', { as: '马骏' });
      expect(director.body.phones).toEqual(['13800138000', chens, zhangs, '13915441234'].map((p) => `${p.slice(0, 3)}****${p.slice(7)}`));
      const admin = await h.req('GET', '/api/wecom/external-contact/wmWang', { as: '系统管理员' });
      expect(admin.body.phones).toEqual(['13800138000', chens, zhangs, '13915441234']);
    } finally {
      colleagueRemark = ['13800138000'];
    }
  });

  it('drafts from a transcript with the model (strict schema) and falls back to rules when the model fails twice', async () => {
    llm.chatReply = JSON.stringify({ action: '已电话沟通', conclusion: '预算有限，需对比3家', nextStepWhen: '下周三', nextStepAction: '发试听课链接' });
    const transcript = '刚给王妈妈打了电话，她说预算有限，想对比三家，下周三再发试听课链接';
    const r = await h.req('POST', '/api/sidebar/voice-draft', { as: '张敏', body: { transcript } });
    expect(r.status).toBe(200);
    expect(r.body.draft).toMatchObject({ by: 'llm', action: '已电话沟通', conclusion: '预算有限，需对比3家' });
    // Test clock: Thu 2026-01-15 → next Wednesday is the 21st.
    expect(r.body.draft.nextStep).toMatchObject({ iso: '2026-01-21T10:00:00+08:00', action: '发试听课链接' });
    const sent = llm.chatCalls().at(-1)!.body;
    expect(sent.response_format.json_schema.schema.properties.action.anyOf ?? sent.response_format.json_schema.schema.properties.action.enum).toBeTruthy();

    llm.chatReply = '{"action":"其他","conclusion":"x","nextStepWhen":null,"nextStepAction":null}'; // not in the company's list
    const before = llm.chatCalls().length;
    const fallback = await h.req('POST', '/api/sidebar/voice-draft', { as: '张敏', body: { transcript } });
    expect(llm.chatCalls().length - before).toBe(2); // one retry, then rules
    expect(fallback.body.draft).toMatchObject({ by: 'rules', action: '已电话沟通', conclusion: '预算有限，需对比3家' });

    const empty = await h.req('POST', '/api/sidebar/voice-draft', { as: '张敏', body: { transcript: '  ' } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('没有识别到语音内容');
  });

  it('transcribes an uploaded recording, and refuses wrong formats and empty audio without writing anything', async () => {
    llm.transcript = '约了明天下午三点来试听';
    llm.chatReply = JSON.stringify({ action: '已预约试听', conclusion: '', nextStepWhen: '明天下午三点', nextStepAction: '来试听' });
    const token = await h.token('张敏');
    const audio = Buffer.alloc(4000, 1);
    const res = await fetch(`${h.base}/api/sidebar/voice`, {
      method: 'POST',
      body: audio,
      headers: { 'content-type': 'audio/webm', authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.transcript).toBe('约了明天下午三点来试听');
    expect(body.draft.nextStep.iso).toBe('2026-01-16T15:00:00+08:00');
    const up = llm.calls('POST', '/v1/audio/transcriptions').at(-1)!;
    expect(up.raw).toContain('filename="voice.webm"');

    const followups = await h.count('followup');
    const wrong = await fetch(`${h.base}/api/sidebar/voice`, {
      method: 'POST',
      body: 'hello',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
    });
    expect(wrong.status).toBe(415);
    expect((await wrong.json()).error.message).toContain('不支持的录音格式');
    const tiny = await fetch(`${h.base}/api/sidebar/voice`, {
      method: 'POST',
      body: Buffer.alloc(10),
      headers: { 'content-type': 'audio/wav', authorization: `Bearer ${token}` },
    });
    expect(tiny.status).toBe(400);
    llm.inject('POST', '/v1/audio/transcriptions', { status: 500, json: { error: { message: 'down' } } });
    const down = await fetch(`${h.base}/api/sidebar/voice`, {
      method: 'POST',
      body: audio,
      headers: { 'content-type': 'audio/wav', authorization: `Bearer ${token}` },
    });
    expect(down.status).toBe(502);
    expect((await down.json()).error.message).toContain('语音转写暂时不可用');
    const anon = await fetch(`${h.base}/api/sidebar/voice`, { method: 'POST', body: audio, headers: { 'content-type': 'audio/wav' } });
    expect(anon.status).toBe(401);
    expect(await h.count('followup')).toBe(followups);
  });

  it('serves the config the page needs (no secrets) and the H5 build under /sidebar/', async () => {
    const cfg = await h.req('GET', '/api/sidebar/config');
    expect(cfg.body).toMatchObject({ demo: true, wecom: { corpId: wecom.corpId, agentId: 1000002 }, voice: { serverTranscription: true, llmDraft: true } });
    expect(cfg.text).not.toContain(wecom.secret);
    expect(cfg.text).not.toContain(llm.apiKey);
    const page = await fetch(`${h.base}/sidebar/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('/sidebar/js/');
    const js = html.match(/\/sidebar\/js\/[^"]+\.js/)![0];
    const asset = await fetch(`${h.base}${js}`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${h.base}/sidebar/js/nope.js`)).status).toBe(404);
    expect((await fetch(`${h.base}/sidebar/..%2f..%2fpackage.json`)).status).toBe(404);
    const redirect = await fetch(`${h.base}/sidebar?leadId=3&pick=9`, { redirect: 'manual' });
    expect(redirect.headers.get('location')).toBe('/sidebar/?leadId=3&pick=9');
  });
});
