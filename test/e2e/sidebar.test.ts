import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseChineseDate } from '../../shared/src/dates';
import { createHash } from 'node:crypto';
import { FakeLlm } from '../fakes/llm-server';
import type { FakeWecom } from '../fakes/wecom-server';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { fakeWecomForSidebar, wecomContext } from './wecom-emulation';
import { SidebarRig } from './support';

// Screenshots to look at after a run; an ignored folder, so a test run never rewrites tracked files.
const SHOTS = `${__dirname}/../../test-results/screenshots`;
const WANG = '13915441234';

async function openSidebar(rig: SidebarRig, query = ''): Promise<Page> {
  const { page } = await rig.page();
  await page.goto(`${rig.base}/sidebar/${query}`);
  await page.locator('#phone input').waitFor();
  return page;
}

async function wangLead(rig: SidebarRig): Promise<number> {
  const [row] = await rig.ds.query('SELECT l.id FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.phone = ? ORDER BY l.id LIMIT 1', [WANG]);
  return Number(row.id);
}

async function latestFollowup(rig: SidebarRig, leadId: number) {
  const [row] = await rig.ds.query('SELECT * FROM followup WHERE leadId = ? ORDER BY id DESC LIMIT 1', [leadId]);
  return row;
}

async function enterPhone(page: Page, phone: string) {
  await page.locator('#phone input').fill(phone);
}

describe('sidebar H5 in Chromium against the real server', { timeout: 60_000 }, () => {
  const llm = new FakeLlm();
  let rig: SidebarRig;

  beforeAll(async () => {
    await llm.start();
    rig = await new SidebarRig({ llm: { baseUrl: llm.v1, apiKey: llm.apiKey, model: 'qwen-plus', asrModel: 'whisper-1', timeoutMs: 5000 } }).start();
  });
  afterAll(async () => {
    await rig?.stop();
    await llm.stop();
  });

  it('(a) a phone lookup shows attribution and the last 3 interactions of 王妈妈 before anything is saved', async () => {
    const page = await openSidebar(rig);
    await enterPhone(page, WANG);
    await expect.poll(() => page.locator('#attribution').innerText()).toContain('苏州');
    expect(await page.locator('#attribution').innerText()).toContain('号段归属地，仅供参考');
    const card = page.locator('#customer');
    await expect.poll(() => card.innerText()).toContain('王妈妈');
    const leadId = await wangLead(rig);
    const last3: Array<{ action: string; conclusion: string }> = await rig.ds.query(
      'SELECT action, conclusion FROM followup WHERE leadId = ? AND deletedAt IS NULL ORDER BY createdAt DESC, id DESC LIMIT 3',
      [leadId],
    );
    expect(last3).toHaveLength(3);
    const items = page.locator('#customer .timeline__item');
    expect(await items.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      const text = await items.nth(i).innerText();
      expect(text).toContain(last3[i].action);
      expect(text).toContain(last3[i].conclusion);
    }
    expect(await card.innerText()).toMatch(/[ABCD]级/);
    await page.screenshot({ path: `${SHOTS}/1-lookup.png`, fullPage: true });
    await page.context().close();
  });

  it('(b) action chip + quick phrase + 下周三 chip is stored with the right date, then the form is ready for the next customer', async () => {
    const page = await openSidebar(rig);
    const leadId = await wangLead(rig);
    const before = await rig.count('followup', 'leadId = ?', [leadId]);
    await enterPhone(page, WANG);
    await page.locator('#customer').waitFor();
    await page.locator('#actions .chip', { hasText: '已电话沟通' }).tap();
    await page.locator('#phrases .chip', { hasText: '预算有限' }).tap();
    await page.locator('#next-chips .chip', { hasText: '下周三' }).tap();
    const expected = parseChineseDate('下周三', Date.now())!;
    await expect.poll(() => page.locator('#next-when').innerText()).toContain(expected.label);
    await page.screenshot({ path: `${SHOTS}/2-form.png`, fullPage: true });
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#saved').innerText()).toContain('已保存');
    expect(await rig.count('followup', 'leadId = ?', [leadId])).toBe(before + 1);
    const f = await latestFollowup(rig, leadId);
    expect(f.action).toBe('已电话沟通');
    expect(f.conclusion).toBe('预算有限');
    expect(Number(f.nextStepAt)).toBe(expected.at);
    expect(f.nextStepAction).toBe('再次跟进');
    expect(f.source).toBe('phrase');
    // The updated timeline shows the new entry first; the phone box is empty for the next customer.
    expect(await page.locator('#saved .timeline__item').first().innerText()).toContain('预算有限');
    expect(await page.locator('#phone input').inputValue()).toBe('');
    await page.screenshot({ path: `${SHOTS}/3-saved.png`, fullPage: true });
    await page.context().close();
  });

  it('(c) hold to talk: the recording is transcribed and drafted by the model, shown as a draft, saved only on confirm', async () => {
    llm.transcript = '刚给王妈妈打了电话，她说预算有限，想对比三家，下周三再发试听课链接';
    llm.chatReply = JSON.stringify({ action: '已电话沟通', conclusion: '预算有限，需对比3家', nextStepWhen: '下周三', nextStepAction: '发试听课链接' });
    const page = await openSidebar(rig);
    const leadId = await wangLead(rig);
    await enterPhone(page, WANG);
    await page.locator('#customer').waitFor();
    const before = await rig.count('followup', 'leadId = ?', [leadId]);
    const box = (await page.locator('#voice').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.waitForTimeout(1200);
    await page.mouse.up();
    await page.locator('#draft-note').waitFor({ timeout: 15_000 });
    expect(await page.locator('#draft-note').innerText()).toContain('语音草稿');
    expect(await page.locator('#conclusion textarea').inputValue()).toBe('预算有限，需对比3家');
    expect(await page.locator('#actions .chip--on').innerText()).toBe('已电话沟通');
    const expected = parseChineseDate('下周三', Date.now())!;
    expect(await page.locator('#next-when').innerText()).toContain(expected.label);
    // The audio went to /audio/transcriptions as multipart; the draft used a strict JSON schema.
    const upload = llm.calls('POST', '/v1/audio/transcriptions').at(-1)!;
    expect(upload.raw).toContain('name="file"; filename="voice.');
    expect(llm.chatCalls().at(-1)!.body.response_format.type).toBe('json_schema');
    expect(await rig.count('followup', 'leadId = ?', [leadId])).toBe(before); // a draft saves nothing
    await page.screenshot({ path: `${SHOTS}/4-voice-draft.png`, fullPage: true });
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#saved').innerText()).toContain('已保存');
    const f = await latestFollowup(rig, leadId);
    expect(f).toMatchObject({ action: '已电话沟通', conclusion: '预算有限，需对比3家', source: 'voice', nextStepAction: '发试听课链接' });
    expect(f.transcript).toBe(llm.transcript);
    expect(Number(f.nextStepAt)).toBe(expected.at);
    await page.context().close();
  });

  it('(d) the server dies after storing a submit but before answering: kept on the device, resent after restart, stored once', async () => {
    const page = await openSidebar(rig);
    const leadId = await wangLead(rig);
    const before = await rig.count('followup', 'leadId = ?', [leadId]);
    await enterPhone(page, WANG);
    await page.locator('#customer').waitFor();
    await page.locator('#actions .chip', { hasText: '已发送资料' }).tap();
    await page.locator('#phrases .chip', { hasText: '关注师资' }).tap();
    let cut = false;
    await page.route('**/api/followups', async (route) => {
      if (cut) return route.continue();
      cut = true;
      await route.fetch(); // reaches the server and commits…
      await rig.stopServer(); // …then the server goes down before the answer gets back
      await route.abort('connectionreset');
    });
    await page.locator('#save').click();
    await expect
      .poll(() =>
        page
          .locator('#pending')
          .isVisible()
          .catch(() => false),
      )
      .toBe(true);
    expect(await page.locator('#pending').innerText()).toContain('待发送 1 条');
    await page.screenshot({ path: `${SHOTS}/5-pending.png`, fullPage: true });
    expect(await rig.count('followup', 'leadId = ?', [leadId])).toBe(before + 1);

    await rig.listen(); // same port
    await page.locator('#pending .link').click();
    await expect.poll(() => page.locator('#pending').count()).toBe(0);
    expect(await page.locator('#notice').innerText()).toContain('已补发 1 条');
    expect(await rig.count('followup', 'leadId = ?', [leadId])).toBe(before + 1);
    expect((await latestFollowup(rig, leadId)).conclusion).toBe('关注师资');
    await page.context().close();
  });

  it('(e) a short phone, a 101-character conclusion and an unparseable date show Chinese errors and save nothing', async () => {
    const page = await openSidebar(rig);
    const total = await rig.count('followup');
    await enterPhone(page, '1391544123');
    await page.locator('#next-text input').click(); // leaves the phone box
    await expect.poll(() => page.locator('#phone-error').innerText()).toContain('手机号应为11位数字，当前为10位');
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#form-error').innerText()).toContain('请先输入客户手机号');

    await enterPhone(page, WANG);
    await page.locator('#customer').waitFor();
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#form-error').innerText()).toContain('请选择跟进动作');
    await page.locator('#actions .chip', { hasText: '已电话沟通' }).tap();
    await page.locator('#conclusion textarea').fill('很'.repeat(101));
    await expect.poll(() => page.locator('#counter').innerText()).toBe('101/100');
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#form-error').innerText()).toContain('关键结论最多100个字，当前101个字');
    await page.screenshot({ path: `${SHOTS}/6-errors.png`, fullPage: true });

    await page.locator('#conclusion textarea').fill('预算有限');
    await page.locator('#next-text input').fill('等她有空的时候');
    await expect.poll(() => page.locator('#next-when').innerText()).toContain('没看懂');
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#form-error').innerText()).toContain('没看懂下一步时间「等她有空的时候」');
    expect(await rig.count('followup')).toBe(total);
    await page.context().close();
  });
  it('(f) an unknown phone creates the customer and lead from the same screen, city prefilled from attribution', async () => {
    const phone = '13951700001';
    expect(await rig.count('customer', 'phone = ?', [phone])).toBe(0);
    const page = await openSidebar(rig);
    await enterPhone(page, phone);
    await page.locator('#new-customer').waitFor();
    const city = (await page.locator('#attribution').innerText()).split(' ')[1];
    expect(await page.locator('#new-customer').innerText()).toContain(city.replace(/[·\s].*$/, ''));
    await page.locator('#new-name input').fill('李爸爸');
    await page.locator('#create-customer').click();
    await expect
      .poll(() =>
        page
          .locator('#customer')
          .innerText()
          .catch(() => ''),
      )
      .toContain('李爸爸');
    const [c] = await rig.ds.query('SELECT id, name, city FROM customer WHERE phone = ?', [phone]);
    expect(c.name).toBe('李爸爸');
    expect(c.city).toBeTruthy();
    expect(await page.locator('#attribution').innerText()).toContain(c.city);
    await page.locator('#actions .chip', { hasText: '已电话沟通' }).tap();
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#saved').innerText()).toContain('李爸爸');
    expect(await rig.count('followup', 'leadId IN (SELECT id FROM `lead` WHERE customerId = ?)', [c.id])).toBe(1);
    await page.context().close();
  });
  it('(g) "More" is hidden by default; grade, concerns and tags chosen there are saved on the customer with the follow-up', async () => {
    const page = await openSidebar(rig);
    await enterPhone(page, WANG);
    await page.locator('#customer').waitFor();
    expect(await page.locator('#more').count()).toBe(0);
    await page.locator('#more-toggle').click();
    await page.locator('#more .chip', { hasText: '初二' }).tap();
    await page.locator('#more .chip', { hasText: '心理辅导' }).tap();
    await page.locator('#more input').fill('二胎 周末班');
    await page.locator('#actions .chip', { hasText: '已电话沟通' }).tap();
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#saved').innerText()).toContain('已保存');
    const [c] = await rig.ds.query('SELECT grade, concerns, tags FROM customer WHERE phone = ?', [WANG]);
    expect(c.grade).toBe('初二');
    expect(JSON.parse(c.concerns)).toContain('心理辅导');
    expect(JSON.parse(c.tags)).toEqual(expect.arrayContaining(['二胎', '周末班']));
    await page.context().close();
  });

  it('(h) a stage picked under "More" moves the lead forward, recorded as a journey step', async () => {
    const login = await (
      await fetch(`${rig.base}/api/auth/dev-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'rep' }),
      })
    ).json();
    const phone = '13915447777';
    const made = await (
      await fetch(`${rig.base}/api/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` },
        body: JSON.stringify({ phone, name: '何妈妈', channel: '百度-品牌词' }),
      })
    ).json();
    const page = await openSidebar(rig);
    await enterPhone(page, phone);
    await page.locator('#customer').waitFor();
    await page.locator('#more-toggle').click();
    // Signing is not offered as a stage: it only comes from the 已签约 action.
    expect(await page.locator('#stages .chip', { hasText: '签约转化' }).count()).toBe(0);
    await page.locator('#stages .chip', { hasText: '需求确认' }).tap();
    await page.locator('#actions .chip', { hasText: '已电话沟通' }).tap();
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#saved').innerText()).toContain('已保存');
    await expect.poll(async () => (await rig.ds.query('SELECT journeyNode FROM `lead` WHERE id = ?', [made.lead.id]))[0].journeyNode).toBe('需求确认');
    const steps = await rig.ds.query('SELECT fromNode, toNode, followupId FROM journey_event WHERE leadId = ? ORDER BY id', [made.lead.id]);
    expect(steps.map((e: any) => `${e.fromNode}→${e.toNode}`)).toEqual(['null→线索获取', '线索获取→首次触达', '首次触达→需求确认']);
    expect(steps[2].followupId).toBeNull();
    await page.context().close();
  });

  it('(i) 已签约 asks for the signed course: a Chinese error without one, then signedCourse is stored', async () => {
    const login = await (
      await fetch(`${rig.base}/api/auth/dev-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'rep' }),
      })
    ).json();
    const phone = '13915446666';
    const made = await (
      await fetch(`${rig.base}/api/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` },
        body: JSON.stringify({ phone, name: '钱妈妈', channel: '百度-品牌词' }),
      })
    ).json();
    const page = await openSidebar(rig);
    await enterPhone(page, phone);
    await page.locator('#customer').waitFor();
    expect(await page.locator('#courses').count()).toBe(0);
    await page.locator('#actions .chip', { hasText: '已签约' }).tap();
    const meta = await (await fetch(`${rig.base}/api/meta`, { headers: { authorization: `Bearer ${login.token}` } })).json();
    expect(await page.locator('#courses .chip').allInnerTexts()).toEqual(meta.courses.map((c: { name: string }) => c.name));
    await page.locator('#save').click();
    expect(await page.locator('#form-error').innerText()).toBe('已签约请选择所签课程');
    expect(await rig.count('followup', 'leadId = ?', [made.lead.id])).toBe(0);
    await page.locator('#courses .chip', { hasText: '数学提分班' }).tap();
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#saved').innerText()).toContain('「数学提分班」');
    const f = await latestFollowup(rig, made.lead.id);
    expect(f.action).toBe('已签约');
    expect(f.signedCourse).toBe('数学提分班');
    await page.context().close();
  });
});

describe('sidebar deep link from an alarm card', { timeout: 60_000 }, () => {
  let rig: SidebarRig;
  beforeAll(async () => {
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  it('?leadId=N&pick=ID opens the lead with the picked script and a prefilled 已发送资料 draft; sending marks it sent', async () => {
    const leadId = await wangLead(rig);
    const login = await (
      await fetch(`${rig.base}/api/auth/dev-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'rep' }),
      })
    ).json();
    const auth = { authorization: `Bearer ${login.token}` };
    const scripts = await (await fetch(`${rig.base}/api/scripts`, { headers: auth })).json();
    const script = scripts.items[0];
    expect(script).toBeTruthy();
    const now = Date.now();
    await rig.ds.query(
      'INSERT INTO script_pick (companyId, alarmId, scriptId, leadId, repId, text, pickedAt, sentAt, progressedAt) VALUES (?, NULL, ?, ?, ?, ?, ?, NULL, NULL)',
      [login.user.companyId, script.id, leadId, login.user.id, '王妈妈您好，试听课回放链接发您了，有问题随时问我', now],
    );
    const [pick] = await rig.ds.query('SELECT id FROM script_pick WHERE leadId = ? ORDER BY id DESC LIMIT 1', [leadId]);

    const { page } = await rig.page();
    await page.goto(`${rig.base}/sidebar/?leadId=${leadId}&pick=${pick.id}`);
    await page.locator('#script-pick').waitFor();
    expect(await page.locator('#script-pick').innerText()).toContain('试听课回放链接发您了');
    expect(await page.locator('#customer').innerText()).toContain('王妈妈');
    expect(await page.locator('#phone input').inputValue()).toBe(WANG);
    await expect.poll(() => page.locator('#actions .chip--on').innerText()).toBe('已发送资料');
    await page.screenshot({ path: `${SHOTS}/7-deep-link.png`, fullPage: true });

    await page.locator('#script-pick .link').click();
    // The link gives way to a plain 已发送 once the server has recorded the send.
    await expect.poll(() => page.locator('#script-pick .link').count()).toBe(0);
    expect(await page.locator('#script-pick .muted').innerText()).toBe('已发送');
    const [sent] = await rig.ds.query('SELECT sentAt FROM script_pick WHERE id = ?', [pick.id]);
    expect(sent.sentAt).not.toBeNull();

    await page.locator('#next-chips .chip', { hasText: '明天' }).tap();
    await page.locator('#save').click();
    await expect.poll(() => page.locator('#saved').innerText()).toContain('已保存');
    const f = await latestFollowup(rig, leadId);
    expect(f.action).toBe('已发送资料');
    expect(Number(f.scriptId)).toBe(script.id);
    await page.context().close();
  });
});

describe('sidebar inside WeCom (chat toolbar), with the JS bridge emulated in Chromium', { timeout: 60_000 }, () => {
  let wecom: FakeWecom;
  let rig: SidebarRig;
  beforeAll(async () => {
    wecom = await fakeWecomForSidebar();
    rig = await new SidebarRig({ wecom: { corpId: wecom.corpId, agentId: 1000002, secret: wecom.secret, apiBase: wecom.base } }).start();
    await rig.ds.query('UPDATE app_user SET wecomUserId = ? WHERE name = ?', ['zhangmin', '张敏']);
  });
  afterAll(async () => {
    await rig?.stop();
    await wecom.stop();
  });

  it('OAuth code → session; ww.register with server signatures; the chat contact autofills the phone and shows the customer', async () => {
    const context = await wecomContext(rig);
    const page = await context.newPage();
    await page.goto(`${rig.base}/sidebar/?code=code-zhangmin`);
    await expect
      .poll(
        () =>
          page
            .locator('#phone input')
            .inputValue()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toBe(WANG);
    await expect
      .poll(() =>
        page
          .locator('#customer')
          .innerText()
          .catch(() => ''),
      )
      .toContain('王妈妈');
    expect(await page.locator('.header__user').innerText()).toContain('张敏');
    expect(page.url()).not.toContain('code='); // the used code is dropped from the address bar
    const calls: Array<{ name: string; params: any }> = await page.evaluate(() => (window as any).__bridge);
    const names = calls.map((c) => c.name);
    expect(names).toContain('getContext');
    expect(names).toContain('getCurExternalContact');
    // The signature handed to the bridge is the server's, computed from the cached ticket and this page's URL.
    const verify = calls.find((c) => c.params?.verifySignature)?.params;
    expect(verify).toBeTruthy();
    const url = page.url().split('#')[0];
    const sha = (t: string) =>
      createHash('sha1').update(`jsapi_ticket=${t}&noncestr=${verify.verifyNonceStr}&timestamp=${verify.verifyTimestamp}&url=${url}`).digest('hex');
    expect([sha('corp-ticket-e2e'), sha('agent-ticket-e2e')]).toContain(verify.verifySignature);
    expect(wecom.calls('GET', '/cgi-bin/externalcontact/get').at(-1)!.query.external_userid).toBe('wmWangE2E');
    await page.screenshot({ path: `${SHOTS}/8-wecom-chat.png`, fullPage: true });
    await context.close();
  });

  it('WeCom on a phone: hold to talk records and transcribes in the client (translateVoice); the rule-based draft fills the form', async () => {
    const context = await wecomContext(rig, { mobile: true, translateResult: '已经把课程资料发给王妈妈了，她比较关注师资，要和孩子爸爸商量一下，周五前回复' });
    const page = await context.newPage();
    await page.goto(`${rig.base}/sidebar/?code=code-zhangmin`);
    await expect
      .poll(
        () =>
          page
            .locator('#phone input')
            .inputValue()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toBe(WANG);
    await page.locator('#customer').waitFor();
    const box = (await page.locator('#voice').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.waitForTimeout(300);
    await page.mouse.up();
    await page.locator('#draft-note').waitFor({ timeout: 15_000 });
    expect(await page.locator('#draft-note').innerText()).toContain('规则整理'); // no model configured on this server
    expect(await page.locator('#actions .chip--on').innerText()).toBe('已发送资料');
    expect(await page.locator('#conclusion textarea').inputValue()).toBe('关注师资，需和家人商量');
    const names: string[] = await page.evaluate(() => (window as any).__bridge.map((c: any) => c.name));
    expect(names).toEqual(expect.arrayContaining(['startRecord', 'stopRecord', 'translateVoice']));
    await page.screenshot({ path: `${SHOTS}/9-wecom-mobile-voice.png`, fullPage: true });
    await context.close();
  });
});

describe('sidebar as a DingTalk H5 micro-app, with the dd JS API emulated in Chromium', { timeout: 60_000 }, () => {
  const dingtalk = new FakeDingtalk();
  let rig: SidebarRig;
  beforeAll(async () => {
    await dingtalk.start();
    dingtalk.route(
      'POST',
      '/topapi/v2/user/getuserinfo',
      dingtalk.oapiAuthed((req) =>
        req.body?.code === 'dt-code-1' ? { errcode: 0, result: { userid: 'dt-zhangmin' } } : { errcode: 40078, errmsg: '不存在的临时授权码' },
      ),
    );
    rig = await new SidebarRig({
      demo: false, // no dev-login fallback: the session must come from DingTalk
      dingtalk: { appKey: dingtalk.appKey, appSecret: dingtalk.appSecret, apiBase: dingtalk.base, corpId: 'dingcorp-e2e' },
    }).start();
    await rig.ds.query('UPDATE app_user SET dingtalkUserId = ? WHERE name = ?', ['dt-zhangmin', '张敏']);
  });
  afterAll(async () => {
    await rig?.stop();
    await dingtalk.stop();
  });

  it('requestAuthCode → POST /api/auth/dingtalk → signed in as the bound user, ready to record', async () => {
    const context = await rig.browser.newContext({
      viewport: { width: 360, height: 800 },
      hasTouch: true,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) DingTalk(7.6.0) Chrome/120.0',
    });
    await context.addInitScript({
      content: `window.__authArgs = []; window.dd = { runtime: { permission: { requestAuthCode(o) {
        window.__authArgs.push({ corpId: o.corpId, clientId: o.clientId }); setTimeout(() => o.onSuccess({ code: 'dt-code-1' }), 5); } } } };`,
    });
    const page = await context.newPage();
    await page.goto(`${rig.base}/sidebar/`);
    await page.locator('#actions .chip').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.header__user').innerText()).toContain('张敏');
    expect(await page.evaluate(() => (window as any).__authArgs)).toEqual([{ corpId: 'dingcorp-e2e', clientId: dingtalk.appKey }]);
    expect(dingtalk.calls('POST', '/topapi/v2/user/getuserinfo')).toHaveLength(1);
    await enterPhone(page, WANG);
    await expect
      .poll(() =>
        page
          .locator('#customer')
          .innerText()
          .catch(() => ''),
      )
      .toContain('王妈妈');
    await context.close();
  });
});
