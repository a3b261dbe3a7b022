import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SidebarRig } from './support';
import { apiAs, pageAs, shot } from './pages';
import { BusinessSystemFake } from '../fakes/business-systems';
import { PartnerSystemFake } from '../fakes/partner-system';

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };
const WANG = '13915441234';

describe('系统对接 and the service warning in Chromium (real H5 build, real server)', { timeout: 90_000 }, () => {
  let rig: SidebarRig;
  beforeAll(async () => {
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  it('the admin connects finance, a payment for an unknown phone waits in review, and is put on 王妈妈 by her phone', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index?section=integrations', DESKTOP);
    await page.locator('#source-code input').waitFor({ timeout: 15_000 });
    await page.locator('#source-code input').fill('kingdee');
    await page.locator('#source-name input').fill('金蝶财务');
    await page.locator('#source-create').tap();
    await page.locator('#secret-once .key').waitFor();
    const secret = (await page.locator('#secret-once .key').innerText()).trim();
    expect(secret).toMatch(/^evsec_/);
    expect(await page.locator('#source-kingdee').innerText()).toContain('/api/events/in/kingdee');

    const finance = new BusinessSystemFake(`${rig.base}/api/events/in/kingdee`, secret, () => rig.clock.now());
    const sent = await finance.send({ id: 'pay-e2e-1', phone: '13700001234', amount: '9,800', contract_no: 'HT-E2E-1' });
    expect(sent.body.status).toBe('parked');
    await page.reload();
    const parked = page.locator(`#parked-${sent.body.id}`);
    await parked.waitFor({ timeout: 15_000 });
    expect(await parked.innerText()).toContain('找不到客户');
    await shot(page, 'settings-integrations-1280.png');
    await page.locator(`#parked-phone-${sent.body.id} input`).fill(WANG);
    await page.locator(`#parked-resolve-${sent.body.id}`).tap();
    await expect.poll(() => page.locator('#settings-notice').innerText()).toContain('已处理');
    const [row] = await rig.ds.query('SELECT status, customerId, leadId FROM inbound_event WHERE eventId = ?', ['pay-e2e-1']);
    expect(row.status).toBe('applied');
    const lead = await apiAs(rig, '系统管理员', `/api/leads/${row.leadId}`);
    expect(lead).toMatchObject({ status: 'won' });
    // Finance's own export, uploaded: 王妈妈 agrees on every field, a customer we do not have is a red difference.
    const csv = `手机号,客户名称,合同金额,回款状态\n${WANG},王妈妈,9800,是\n13700001234,不存在,100,是\n`;
    await page.locator('#consistency-file-kingdee').setInputFiles({ name: 'kingdee.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await expect.poll(() => page.locator('#settings-notice').innerText()).toContain('对账完成：一致率 75.00%');
    expect(await page.locator('#run-differences').innerText()).toContain('137****1234：客户不存在（本系统 —，对方 存在）');
    await shot(page, 'settings-consistency-1280.png');
    await context.close();
  });

  it('a paused webhook shows why and resumes in one tap; ops sees only the review list', async () => {
    const hook = await apiAs(rig, '系统管理员', '/api/webhooks', { method: 'POST', body: { url: 'https://erp.example.com/lifeline', events: ['lead.won'] } });
    await rig.ds.query("UPDATE webhook_subscription SET pausedAt = ?, pauseReason = '连续 10 次发送失败（最近一次：HTTP 502）' WHERE id = ?", [
      rig.clock.now(),
      hook.id,
    ]);
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index?section=integrations', PHONE);
    const card = page.locator(`#webhook-${hook.id}`);
    await card.waitFor({ timeout: 15_000 });
    expect(await card.innerText()).toContain('已自动暂停：连续 10 次发送失败');
    await shot(page, 'settings-integrations-375.png');
    await page.locator(`#webhook-resume-${hook.id}`).tap();
    await expect.poll(() => page.locator('#settings-notice').innerText()).toContain('已恢复发送');
    expect((await apiAs(rig, '系统管理员', '/api/webhooks')).items[0]).toMatchObject({ paused: false });
    await context.close();

    const ops = await pageAs(rig, '黄蓉', '#/pages/settings/index?section=integrations', PHONE);
    await ops.page.locator('#review-list').waitFor({ timeout: 15_000 });
    expect(await ops.page.locator('#event-sources').count()).toBe(0);
    expect(await ops.page.locator('#webhooks').count()).toBe(0);
    await ops.context.close();
  });

  it("an open complaint from after-sales puts the warning and the health score on the rep's customer card", async () => {
    const src = await apiAs(rig, '系统管理员', '/api/event-sources', { method: 'POST', body: { code: 'service', name: '售后系统', kind: 'after_sales' } });
    const afterSales = new BusinessSystemFake(`${rig.base}/api/events/in/service`, src.secret, () => rig.clock.now());
    const r = await afterSales.send({ id: 'tk-e2e-1', ticket_id: 'T-901', phone: WANG, category: '投诉', status: '处理中', summary: '上课老师临时换人' });
    expect(r.body.status).toBe('applied');
    const { page, context } = await pageAs(rig, '张敏', '#/pages/index/index', PHONE);
    await page.locator('#phone input').waitFor({ timeout: 15_000 });
    await page.locator('#phone input').fill(WANG);
    await page.locator('#service-warning').waitFor({ timeout: 15_000 });
    expect(await page.locator('#service-warning').innerText()).toContain('售后工单处理中，勿推新品：投诉「上课老师临时换人」');
    expect(await page.locator('#customer-health').innerText()).toMatch(/健康分 \d+ · (关注|风险)/);
    await shot(page, 'sidebar-service-warning-375.png');
    await context.close();
  });

  it("the admin switches on a channel's web form and gets its QR code; a parent fills the hosted page on a phone", async () => {
    const ch = await apiAs(rig, '系统管理员', '/api/intake-channels', { method: 'POST', body: { code: 'expo-e2e', name: '教育展', tag: '地推-展会二维码' } });
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index?section=channels', DESKTOP);
    await page.locator('#channel-form-expo-e2e').waitFor({ timeout: 15_000 });
    await page.locator('#channel-form-expo-e2e').tap();
    await page.locator('#form-title input').fill('展会预约 · 免费学习测评');
    await page.locator('#form-save').tap();
    await page.locator('#form-qr').waitFor({ timeout: 15_000 });
    expect(await page.locator('#form-settings-expo-e2e').innerText()).toContain('/f/expo-e2e');
    expect(await page.locator('#form-qr-download').getAttribute('download')).toBe('expo-e2e-qr.png');
    await shot(page, 'settings-channel-form-1280.png');
    await context.close();

    const parent = await rig.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'zh-CN' });
    const form = await parent.newPage();
    const posts: string[] = [];
    form.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
    await form.goto(`${rig.base}/f/expo-e2e?utm_campaign=2026春季展`);
    await form.locator('input[name=phone]').fill('1391544');
    await form.locator('.llf__submit').tap();
    expect(await form.locator('[data-for=phone]').innerText()).toBe('手机号应为11位数字，当前为7位');
    expect(posts).toEqual([]); // refused in the browser by the same rule, nothing sent
    await form.locator('input[name=phone]').fill('139-1544-9501');
    await form.locator('input[name=name]').fill('展会家长');
    await form.locator('select[name=grade]').selectOption('初三');
    await form.locator('.llf__chips label').first().tap();
    await shot(form, 'form-hosted-375.png');
    await form.locator('.llf__submit').tap();
    await form.locator('.llf__done').waitFor({ timeout: 10_000 });
    const [lead] = await rig.ds.query(
      'SELECT l.channel, l.campaign, c.grade, c.concerns FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.phone = ?',
      ['13915449501'],
    );
    expect(lead).toMatchObject({ channel: '地推-展会二维码', campaign: '2026春季展', grade: '初三' });
    expect(JSON.parse(lead.concerns)).toEqual(['升学政策']);
    expect(ch.form.enabled).toBe(false);
    await parent.close();
  });

  it('the admin adds a partner (key shown once); its referral waits for 李静, who lets it in from 团队', async () => {
    const admin = await pageAs(rig, '系统管理员', '#/pages/settings/index?section=integrations', DESKTOP);
    await admin.page.locator('#partner-name input').waitFor({ timeout: 15_000 });
    await admin.page.locator('#partner-name input').fill('启明教育');
    await admin.page.locator('#partner-tag input').fill('渠道商-启明教育');
    await admin.page.locator('#partner-create').tap();
    await expect.poll(() => admin.page.locator('#secret-once .key').innerText()).toMatch(/^pk_/);
    const key = (await admin.page.locator('#secret-once .key').innerText()).trim();
    await admin.context.close();
    const partner = new PartnerSystemFake(rig.base, key);
    const referred = await partner.refer({ ref: 'QM-E2E-1', phone: '13915449801', name: '启明家长', grade: '初二' });
    expect(referred.body.status).toBe('pending');

    const { page, context } = await pageAs(rig, '李静', '#/pages/team/index', PHONE);
    const row = page.locator('#referrals .assign').first();
    await row.waitFor({ timeout: 15_000 });
    expect(await row.innerText()).toContain('启明家长');
    await shot(page, 'team-referrals-375.png');
    await row.locator('.todo-btn--primary').tap();
    await expect.poll(() => page.locator('#team-notice').innerText()).toContain('已通过：启明家长');
    expect((await partner.progress()).body.items[0]).toMatchObject({ ref: 'QM-E2E-1', status: 'approved', lead: { stage: '线索获取' } });
    await context.close();
  });
});
