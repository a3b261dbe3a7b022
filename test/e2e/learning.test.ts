import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SidebarRig } from './support';
import { apiAs, pageAs, shot } from './pages';
import { ChatSidecarFake } from '../fakes/chat-sidecar';

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };
const WANG = '13915441234';

/** Routing that learns, walked in Chromium: signals, the A/B test, the leaderboard, the field-lift review, co-owners. */
describe('routing that learns, in Chromium (real H5 build, real server)', { timeout: 90_000 }, () => {
  let rig: SidebarRig;
  beforeAll(async () => {
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  it('the admin tunes the signal classes (tried on a sentence first); a customer asking the price in a chat moves the card at once', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index?section=signals', DESKTOP);
    await page.locator('#signal-try-result').waitFor({ timeout: 15_000 });
    expect(await page.locator('#signal-try-result').innerText()).toContain('提及竞品（“学而思”）+10，询问价格（“多少钱”）+15');
    await page.locator('#signal-1 .signal__points input').fill('20');
    await page.locator('#signals-save').tap();
    await expect.poll(() => page.locator('#settings-notice').innerText()).toContain('意向信号设置已保存');
    await shot(page, 'settings-signals-1280.png');
    await page.setViewportSize(PHONE);
    await shot(page, 'settings-signals-375.png');
    await context.close();

    const src = await apiAs(rig, '系统管理员', '/api/event-sources', { method: 'POST', body: { code: 'chat', name: '会话存档', kind: 'chat_archive' } });
    const [wang] = await rig.ds.query('SELECT id, companyId FROM customer WHERE phone = ?', [WANG]);
    await rig.ds.query(
      "INSERT INTO chat_contact (companyId, externalUserId, customerId, consent, consentAt, createdAt, updatedAt) VALUES (?, 'wmWang', ?, 'agree', ?, ?, ?)",
      [wang.companyId, wang.id, rig.clock.now(), rig.clock.now(), rig.clock.now()],
    );
    const sidecar = new ChatSidecarFake(rig.base, 'chat', src.secret, () => rig.clock.now());
    const posted = await sidecar.post([sidecar.text('wmWang', 'zhangmin', '老师，寒假班学费多少钱？')]);
    expect(posted.body).toMatchObject({ used: 1, signals: 1 });

    const rep = await pageAs(rig, '张敏', '', PHONE);
    await rep.page.locator('#phone input').fill(WANG);
    await expect.poll(() => rep.page.locator('#score-line').innerText(), { timeout: 15_000 }).toContain('询问价格 +20，刚刚');
    await rep.page.locator('#leaderboard').waitFor();
    await shot(rep.page, 'sidebar-score-signal-375.png');
    await rep.context.close();
  });

  it('saving rules with a holdout starts an A/B test, shown in 设置 and to supervisors on 团队', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index?section=routing', DESKTOP);
    await page.locator('#routing-save').waitFor({ timeout: 15_000 });
    await page.getByText('保留对照组：10% 的新线索仍按当前版本分配（A/B 测试）').tap();
    await page.locator('#routing-save').tap();
    await expect.poll(() => page.locator('#settings-notice').innerText()).toContain('10% 的新线索仍按 v1 分配以作对照');
    await page.locator('#experiments .experiment').first().waitFor();
    expect(await page.locator('#experiments').innerText()).toContain('v2 对比 v1');
    await shot(page, 'settings-routing-ab-1280.png');
    await context.close();

    const sup = await pageAs(rig, '李静', '#/pages/team/index', PHONE);
    await sup.page.locator('#routing-experiments .experiment').first().waitFor({ timeout: 15_000 });
    expect(await sup.page.locator('#routing-experiments').innerText()).toContain('样本还不够');
    expect(await sup.page.locator('#routing-experiments').innerText()).not.toContain('结束测试');
    await shot(sup.page, 'team-experiments-375.png');
    await sup.context.close();
  });

  it('a supervisor makes 陈晨 co-owner from the customer card; 陈晨 then sees the customer', async () => {
    const sup = await pageAs(rig, '李静', '', PHONE);
    await sup.page.locator('#phone input').fill(WANG);
    await sup.page.locator('#co-owner-edit').waitFor({ timeout: 15_000 });
    await sup.page.locator('#co-owner-edit').tap();
    await sup.page.locator('#co-owner').getByText('陈晨', { exact: true }).tap();
    await expect
      .poll(() => sup.page.locator('#co-owner').innerText(), { timeout: 5000 })
      .toContain('协同人：陈晨')
      .catch(async (e) => {
        await shot(sup.page, 'debug-co-owner.png');
        throw e;
      });
    await shot(sup.page, 'sidebar-co-owner-375.png');
    await sup.context.close();
    const chen = await pageAs(rig, '陈晨', '', PHONE);
    await chen.page.locator('#phone input').fill(WANG);
    await expect.poll(() => chen.page.locator('#customer').innerText(), { timeout: 15_000 }).toContain('王妈妈');
    expect(await chen.page.locator('#customer').innerText()).toContain('协同人：陈晨');
    await chen.context.close();
  });

  it('dashboards show the entry leaderboard and the learned-warning curves; 字段复盘 reads a month', async () => {
    const [wangLead] = await rig.ds.query('SELECT l.id FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.phone = ? ORDER BY l.id DESC LIMIT 1', [
      WANG,
    ]);
    const saved = await apiAs(rig, '张敏', '/api/followups', {
      method: 'POST',
      body: {
        clientRequestId: 'e2e-learning-1',
        leadId: Number(wangLead.id),
        action: '已电话沟通',
        conclusion: '家长确认周六上午带孩子来试听',
        nextStep: { at: new Date(rig.clock.now() + 86_400_000).toISOString(), action: '发试听地址' },
      },
    });
    expect(saved).toMatchObject({ id: expect.any(Number) });
    const { page, context } = await pageAs(rig, '李静', '#/pages/dashboard/index', DESKTOP);
    await page.locator('#leaderboard .board__row').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('#leaderboard').innerText()).toContain('张敏');
    // 李静 runs 苏州园区中心: her centre's board includes its teams' reps.
    expect(await page.locator('#leaderboard .board__col').nth(1).innerText()).toContain('张敏');
    await page.locator('#miss-warnings').waitFor();
    expect(await page.locator('#miss-warnings').innerText()).toContain('初三：未联系 36 小时预警（固定规则）');
    await shot(page, 'dashboard-leaderboard-1280.png');
    await context.close();

    const month = new Date(rig.clock.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    const admin = await pageAs(rig, '系统管理员', '#/pages/settings/index?section=fieldLift', PHONE);
    const input = admin.page.locator('#field-lift-month input');
    await input.waitFor({ timeout: 15_000 });
    await input.fill(month);
    await input.blur();
    await expect.poll(() => admin.page.locator('#field-lift-summary').innerText()).toContain(`${month}：`);
    await shot(admin.page, 'settings-field-lift-375.png');
    await admin.context.close();
  });
});
