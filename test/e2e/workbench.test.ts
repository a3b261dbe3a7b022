import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseChineseDate } from '../../shared/src/dates';
import type { RepBattleResponse } from '../../shared/src/metrics/types';
import { defaultFilters, filterQuery } from '../../miniapp/src/dashboard/filters';
import { SidebarRig } from './support';
import { apiAs, inViewport, pageAs, shot } from './pages';

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };
const WANG = '13915441234';

/** Taps, counted: the 我的待办 promise is ≤ 3 taps and 0 typed characters. */
function tapper(page: Page) {
  let taps = 0;
  return {
    tap: async (selector: string, text?: string) => {
      taps++;
      await page
        .locator(selector, text ? { hasText: text } : {})
        .first()
        .tap();
    },
    get count() {
      return taps;
    },
  };
}

async function openForm(page: Page) {
  await page.locator('#phone input').fill(WANG);
  await page.locator('#customer').waitFor();
  await page.locator('#actions .chip', { hasText: '已电话沟通' }).tap();
}

describe('workbench screens in Chromium (real H5 build, real server)', { timeout: 90_000 }, () => {
  let rig: SidebarRig;
  beforeAll(async () => {
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  it('我的待办: rep 张敏 clears an overdue lead in 3 taps and 0 typed characters; it leaves her list', async () => {
    const { page, context } = await pageAs(rig, '张敏', '#/pages/todo/index', PHONE);
    await page.locator('#todo-list .todo-row').first().waitFor({ timeout: 15_000 });
    const before = await apiAs(rig, '张敏', '/api/todo');
    expect(before.total).toBeGreaterThan(0);
    expect(await page.locator('#todo-list .todo-row').count()).toBe(before.items.length);
    expect(await page.locator('#nav-todo .badge').innerText()).toBe(String(before.total));
    // The top row: the most urgent, overdue in the demo (a next step days late).
    const target = before.items[0];
    expect(target.overdue).toBe(true);
    const row = `#todo-${target.leadId}`;
    expect(await page.locator(row).innerText()).toContain(target.label);
    await shot(page, 'todo-rep-375.png');

    const t = tapper(page);
    await t.tap(`${row} .todo-write`);
    await page.locator('#customer').waitFor({ timeout: 15_000 });
    expect(await page.locator('#followup-form .section-title').innerText()).toContain(target.customerName);
    await t.tap('#actions .chip', '已电话沟通');
    await t.tap('#save');
    await page.locator('#saved').waitFor({ timeout: 15_000 });
    expect(t.count).toBeLessThanOrEqual(3);
    const [f] = await rig.ds.query('SELECT action, authorId FROM followup WHERE leadId = ? ORDER BY id DESC LIMIT 1', [target.leadId]);
    expect(f.action).toBe('已电话沟通');
    const after = await apiAs(rig, '张敏', '/api/todo');
    expect(after.items.map((i: any) => i.leadId)).not.toContain(target.leadId);
    expect(await page.locator('#back-to-todo').innerText()).toContain(`还剩 ${after.total} 条`);
    await page.locator('#back-to-todo').tap();
    await page.locator('#todo-list:visible').waitFor();
    await expect.poll(() => page.locator(`${row}:visible`).count()).toBe(0);
    await expect.poll(() => page.locator('#todo-list:visible .todo-row').count()).toBe(after.items.length);
    await context.close();
  });

  it('我的待办 on a 1280 px workbench and for supervisor 李静 (her team, filter by rep)', async () => {
    const rep = await pageAs(rig, '张敏', '#/pages/todo/index', DESKTOP);
    await rep.page.locator('#todo-list .todo-row').first().waitFor({ timeout: 15_000 });
    await shot(rep.page, 'todo-rep-1280.png');
    await rep.context.close();
    const { page, context } = await pageAs(rig, '李静', '#/pages/todo/index', PHONE);
    await page.locator('#todo-list .todo-row').first().waitFor({ timeout: 15_000 });
    // The list may render before the sign-in check answers (neutral 待办 title); the team wording follows the role.
    await expect.poll(() => page.locator('#todo-title').innerText()).toContain('团队待办');
    const team = await apiAs(rig, '李静', '/api/todo');
    expect(await page.locator('#todo-list .todo-row').count()).toBe(team.items.length);
    await page.locator('#rep-filter .chip', { hasText: '张敏' }).tap();
    await expect.poll(async () => (await page.locator('.todo-row__owner').allInnerTexts()).every((t) => t.includes('张敏'))).toBe(true);
    await shot(page, 'todo-supervisor-375.png');
    await context.close();
  });

  it('defect 1: on a 375×740 phone the saved and the queued confirmations are where the rep is looking', async () => {
    const { page, context } = await pageAs(rig, '张敏', '', PHONE);
    await openForm(page);
    await page.locator('#save').click();
    await page.locator('#saved').waitFor({ timeout: 15_000 });
    await expect.poll(() => inViewport(page, '#saved')).toBe(true);
    await openForm(page);
    await page.route('**/api/followups', (r) => r.abort('connectionreset'));
    await page.locator('#save').click();
    await page.locator('#notice').waitFor();
    expect(await page.locator('#notice').innerText()).toContain('已暂存在本机');
    await expect.poll(() => inViewport(page, '#notice')).toBe(true);
    await expect.poll(() => inViewport(page, '#pending')).toBe(true);
    await context.close();
  });

  it('defect 4: a queued entry whose next step passed while offline is kept, and saved once the rep picks a new time', async () => {
    const { page, context } = await pageAs(rig, '张敏', '', PHONE);
    await openForm(page);
    await page.locator('#conclusion textarea').fill('家长说周末再定');
    await page.locator('#next-chips .chip', { hasText: '明天' }).tap();
    await page.route('**/api/followups', (r) => r.abort('connectionreset'));
    await page.locator('#save').click();
    await page.locator('#pending').waitFor();
    // Time passes offline: the stored next step is now in the past.
    await page.evaluate(() => {
      const raw = JSON.parse(localStorage.getItem('lifeline.outbox')!);
      raw.data[0].body.nextStep.at = new Date(Date.now() - 3600_000).toISOString();
      localStorage.setItem('lifeline.outbox', JSON.stringify(raw));
    });
    await page.unroute('**/api/followups');
    await page.locator('#pending .link').tap();
    await page.locator('#refused').waitFor();
    expect(await page.locator('#refused').innerText()).toContain('下一步时间已经过去');
    expect(await page.locator('#refused').innerText()).toContain('家长说周末再定');
    // Reloading the app keeps it: nothing the rep typed is discarded.
    await page.reload();
    await page.locator('#refused').waitFor();
    await page.locator('#refused .chip', { hasText: '后天' }).tap();
    await expect.poll(() => page.locator('#refused').count()).toBe(0);
    const [f] = await rig.ds.query("SELECT conclusion, nextStepAt FROM followup WHERE conclusion = '家长说周末再定'");
    expect(Number(f.nextStepAt)).toBe(parseChineseDate('后天', Date.now())!.at);
    await context.close();
  });

  it('defect 5: the primary button is styled, the conclusion box holds its text in the page font, tap targets are ≥ 44 px', async () => {
    const { page, context } = await pageAs(rig, '张敏', '', PHONE);
    await openForm(page);
    const save = await page.locator('#save').evaluate((el) => {
      const s = getComputedStyle(el);
      return `${s.backgroundColor} ${s.backgroundImage} ${s.color}`;
    });
    expect(save).toContain('rgb(250, 44, 25)');
    const ta = await page.locator('#conclusion textarea').evaluate((el) => getComputedStyle(el).fontFamily);
    expect(ta).not.toMatch(/monospace/i);
    const inner = (await page.locator('#conclusion textarea').boundingBox())!;
    const outer = (await page.locator('#conclusion').boundingBox())!;
    const chips = (await page.locator('#phrases').boundingBox())!;
    expect(inner.x + inner.width).toBeLessThanOrEqual(outer.x + outer.width + 0.5);
    expect(inner.y + inner.height).toBeLessThanOrEqual(outer.y + outer.height + 0.5);
    expect(outer.y + outer.height).toBeLessThanOrEqual(chips.y + 0.5);
    const small: string[] = [];
    for (const sel of ['.chip', '.link', '#more-toggle', '.nav__tab', '#save', '#user-picker']) {
      for (const el of await page.locator(sel).all()) {
        const box = await el.boundingBox();
        if (box && box.height < 44) small.push(`${sel} "${(await el.innerText()).slice(0, 8)}" ${box.height}px`);
      }
    }
    expect(small).toEqual([]);
    await shot(page, 'sidebar-form-375.png');
    await context.close();
  });

  it('defect 7: 「M/D」 of a few days ago is asked about before saving; every chip offered lies ahead', async () => {
    const { page, context } = await pageAs(rig, '张敏', '', PHONE);
    await openForm(page);
    for (const chip of await page.locator('#next-chips .chip').allInnerTexts()) {
      expect(parseChineseDate(chip, Date.now())!.past, chip).toBe(false);
    }
    const d = new Date(Date.now() + 8 * 3600_000 - 3 * 86_400_000);
    await page.locator('#next-text input').fill(`${d.getUTCMonth() + 1}/${d.getUTCDate()}`);
    await page.locator('#next-ask').waitFor();
    expect(await page.locator('#next-ask').innerText()).toContain('已经过去，是指明年');
    await page.locator('#save').click();
    expect(await page.locator('#form-error').innerText()).toContain('请先确认下一步时间');
    await page.locator('#next-ask-no').tap();
    expect(await page.locator('#next-text input').inputValue()).toBe('');
    await context.close();
  });

  it('defect 2: switching user on a dashboard shows the new user’s figures, never the previous ones', async () => {
    const { page, context } = await pageAs(rig, '李静', '#/pages/dashboard/index?view=battle', PHONE);
    await page.locator('#battle-table').waitFor({ timeout: 15_000 });
    const qs = filterQuery(defaultFilters());
    const li = await apiAs<RepBattleResponse>(rig, '李静', `/api/metrics/rep-battle?${qs}`);
    const wang = await apiAs<RepBattleResponse>(rig, '王强', `/api/metrics/rep-battle?${qs}`);
    const shown = () => page.locator('#battle-table .tr:not(.th)').allInnerTexts();
    await expect.poll(async () => (await shown()).length).toBe(li.reps.length);
    await page.locator('#user-picker').tap();
    await page.locator('#user-list .user-picker__item', { hasText: '王强' }).tap();
    await expect.poll(async () => (await shown()).map((t) => t.split(/\s/)[0]).sort()).toEqual(wang.reps.map((r) => r.name).sort());
    for (const r of li.reps) if (!wang.reps.some((w) => w.name === r.name)) expect((await shown()).join()).not.toContain(r.name);
    await context.close();
  });

  it('defect 9: a newcomer lands on the sidebar from /, and can switch demo users (a rep to the director) without clearing storage', async () => {
    const root = await fetch(`${rig.base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/sidebar/');
    const { page, context } = await pageAs(rig, '张敏', '', PHONE);
    await page.locator('#phone input').waitFor();
    await page.locator('#user-picker').tap();
    await page.locator('#user-list .user-picker__item', { hasText: '马骏' }).tap();
    await expect.poll(() => page.locator('#user-picker').innerText()).toContain('马骏');
    expect(await page.locator('#nav').innerText()).toContain('看板');
    await context.close();
  });
});

describe('团队 in Chromium: a supervisor assigns a rotation-queue lead with a reason', { timeout: 90_000 }, () => {
  let rig: SidebarRig;
  beforeAll(async () => {
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  it('supervisor 李静 assigns a queued lead to 陈晨 with a reason; the timeline says why; the page fits 375 and 1280 px', async () => {
    // Every 苏州 pool member at cap: the next 苏州 lead waits on the rotation queue for 李静.
    const pools = await apiAs(rig, '系统管理员', '/api/routing/pools');
    for (const p of pools.items) {
      const body = { name: p.name, orgUnitId: p.orgUnitId, members: p.members.map((m: any) => ({ userId: m.userId, weight: m.weight, cap: 0 })) };
      await apiAs(rig, '系统管理员', `/api/routing/pools/${p.id}`, { method: 'PUT', body });
    }
    const created = await apiAs(rig, '黄蓉', '/api/leads', { method: 'POST', body: { phone: '13915440077', channel: '抖音-202601直播', name: '排队家长' } });
    const leadId = created.lead.id;
    expect((await apiAs(rig, '李静', '/api/routing/queue')).items.map((i: any) => i.leadId)).toContain(leadId);

    const wide = await pageAs(rig, '李静', '#/pages/team/index', DESKTOP);
    await wide.page.locator(`#esc-${leadId}`).waitFor({ timeout: 15_000 });
    await wide.page.locator('#stage-times').waitFor();
    await shot(wide.page, 'team-supervisor-1280.png');
    await wide.context.close();

    const { page, context } = await pageAs(rig, '李静', '#/pages/team/index', PHONE);
    const row = page.locator(`#esc-${leadId}`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.innerText()).toContain('轮转队列');
    await row.locator('.assign__open').tap();
    await row.locator('.chip', { hasText: '陈晨' }).tap();
    await row.locator('.assign__go').tap();
    expect(await row.locator('.error').innerText()).toContain('请填写或选择分配原因');
    await row.locator('.chip', { hasText: '负载均衡' }).tap();
    await row.locator('.assign__go').tap();
    await page.locator('#team-notice').waitFor();
    expect(await page.locator('#team-notice').innerText()).toContain('已把 排队家长 分配给 陈晨（负载均衡）');
    await expect.poll(() => page.locator(`#esc-${leadId}`).count()).toBe(0);
    const timeline = await apiAs(rig, '李静', `/api/leads/${leadId}/timeline`);
    expect(timeline.items.map((i: any) => i.text)).toContain('分配给 陈晨（负载均衡）');
    await shot(page, 'team-supervisor-375.png');
    await context.close();
  });
});

describe('设置 in Chromium: an admin tunes score weights with a slider', { timeout: 90_000 }, () => {
  let rig: SidebarRig;
  beforeAll(async () => {
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  /** Drags a slider with the mouse (a desktop workbench window) from its value to a fraction of its track. */
  async function drag(page: Page, row: string, fraction: number) {
    const range = page.locator(`${row} input[type=range]`);
    const box = (await range.boundingBox())!;
    const value = Number(await range.inputValue());
    const [min, max] = [Number(await range.getAttribute('min')), Number(await range.getAttribute('max'))];
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + (box.width * (value - min)) / (max - min), y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * fraction, y, { steps: 8 });
    await page.mouse.up();
  }

  it('admin moves the 初三 weight slider, sees the A-level preview change, saves; the next intake scores by it', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index', DESKTOP);
    await page.locator('#weights-preview').waitFor({ timeout: 15_000 });
    const weights = await apiAs(rig, '系统管理员', '/api/scoring/weights');
    const i = weights.weights.findIndex((w: any) => w.field === 'grade' && w.value === '初三');
    const before = await page.locator('#preview-a').innerText();
    await shot(page, 'settings-weights-1280.png');
    await drag(page, `#w-${i}`, 1);
    await expect.poll(() => page.locator(`#w-${i} .slider-row__value`).innerText()).toBe('+60');
    await expect.poll(() => page.locator('#preview-a').innerText()).not.toBe(before);
    const preview = await page.locator('#preview-a').innerText();
    expect(preview).toMatch(/A级 \d+ 条（现在 \d+ 条，\+\d+）/);
    await page.locator('#weights-save').tap();
    await page.locator('#settings-notice').waitFor();
    expect(await page.locator('#settings-notice').innerText()).toContain('评分权重已保存');
    const saved = await apiAs(rig, '系统管理员', '/api/scoring/weights');
    expect(saved.weights[i].points).toBe(60);
    const lead = await apiAs(rig, '黄蓉', '/api/leads', {
      method: 'POST',
      body: { phone: '13915440088', channel: '百度-品牌词', name: '新初三家长', grade: '初三' },
    });
    expect(lead.lead.scoreBreakdown).toContainEqual({ label: '初三', points: 60 });
    await context.close();

    const phone = await pageAs(rig, '系统管理员', '#/pages/settings/index', PHONE);
    await phone.page.locator('#weights-preview').waitFor({ timeout: 15_000 });
    await shot(phone.page, 'settings-weights-375.png');
    await phone.page.locator('#menu-alarms').tap();
    await phone.page.locator('#alarm-noFollowupHours').waitFor();
    await phone.page.locator('#alarm-highRiskHours input').fill('60');
    await phone.page.locator('#alarm-highRiskHours-error').waitFor();
    expect(await phone.page.locator('#alarm-highRiskHours-error').innerText()).toBe('高风险预警时间必须早于超时未跟进时间');
    await shot(phone.page, 'settings-alarms-375.png');
    await phone.page.locator('#menu-people').tap();
    await phone.page.locator('#sync-status').waitFor();
    expect(await phone.page.locator('#sync-status').innerText()).toContain('无法从企业微信/钉钉获取成员手机号和邮箱');
    await shot(phone.page, 'settings-people-375.png');
    await phone.context.close();
  });

  it('admin orders a new routing rule first, sees the dry run follow it, saves a new version', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index', DESKTOP);
    await page.locator('#menu-routing').tap();
    await page.locator('#dry-run-go').waitFor({ timeout: 15_000 });
    const before = await apiAs(rig, '系统管理员', '/api/routing/rules');
    const pools = (await apiAs(rig, '系统管理员', '/api/routing/pools')).items;
    await page.locator('#rule-add').tap();
    const n = before.current.rules.length;
    const rule = page.locator(`#rule-${n}`);
    await rule.locator('.rule__name input').fill('');
    await expect.poll(() => page.locator('#routing-problem').innerText()).toContain('请填写规则名称');
    await rule.locator('.rule__name input').fill('苏州初三优先');
    await rule.locator('input[placeholder^="城市"]').fill('苏州');
    await rule.locator('.chip', { hasText: '初三' }).first().tap();
    await rule.locator('.chip', { hasText: pools[pools.length - 1].name }).tap();
    for (let i = 0; i < n; i++) await page.locator(`#rule-${n - i} .link`, { hasText: '上移' }).tap();
    await page.locator('#routing-save').tap();
    await page.locator('#settings-notice').waitFor();
    const after = await apiAs(rig, '系统管理员', '/api/routing/rules');
    expect(after.current.version).toBe(before.current.version + 1);
    expect(after.current.rules[0]).toMatchObject({ name: '苏州初三优先', cities: ['苏州'], grades: ['初三'], poolId: pools[pools.length - 1].id });
    await page.locator('#dry-run-go').tap();
    await expect.poll(() => page.locator('#dry-run-answer').innerText()).toContain('规则 #1「苏州初三优先」');
    await shot(page, 'settings-routing-1280.png');
    await context.close();
  });

  it('admin sets a member’s weight, cap and shift in a pool; a bad weight is refused inline', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index', PHONE);
    await page.locator('#menu-routing').tap();
    const pools = (await apiAs(rig, '系统管理员', '/api/routing/pools')).items;
    const pool = pools.find((p: any) => p.members.some((m: any) => m.name === '张敏'));
    await page.locator(`#pool-${pool.id} .person__name`).first().tap();
    const zhang = pool.members.find((m: any) => m.name === '张敏');
    const row = page.locator(`#member-${pool.id}-${zhang.userId}`);
    await row.locator('.member-weight input').fill('0');
    await expect.poll(() => page.locator(`#pool-editor-${pool.id} .error`).innerText()).toContain('权重至少为1');
    await row.locator('.member-weight input').fill('3');
    await row.locator('.member-cap input').fill('25');
    await row.locator('.chip', { hasText: '周六' }).tap();
    await row.locator('.chip', { hasText: '周日' }).tap();
    await page.locator(`#pool-save-${pool.id}`).tap();
    await page.locator('#settings-notice').waitFor();
    const after = (await apiAs(rig, '系统管理员', '/api/routing/pools')).items.find((p: any) => p.id === pool.id);
    expect(after.members.find((m: any) => m.userId === zhang.userId)).toMatchObject({
      weight: 3,
      cap: 25,
      shifts: [{ days: [6, 7], from: '09:00', to: '21:00' }],
    });
    await shot(page, 'settings-pool-375.png');
    await context.close();
  });

  it('admin removes an action tag in use and adds a quick phrase: the impact is said before saving; the form offers the new words', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index', PHONE);
    await page.locator('#menu-vocabulary').tap();
    await page.locator('#vocab-actions').waitFor({ timeout: 15_000 });
    const vocab = await apiAs(rig, '系统管理员', '/api/settings/vocabulary');
    const used = vocab.usage.actionTags['已预约试听'] ?? 0;
    await page.locator('#vocab-actions .vocab-item', { hasText: '已预约试听' }).tap();
    await page.locator('#vocab-impact').waitFor();
    expect(await page.locator('#vocab-impact').innerText()).toContain(`删除跟进动作「已预约试听」：${used} 条跟进用过，历史记录保留`);
    await page.locator('#vocab-phrase-new input').fill('想先试听');
    await page.locator('#vocabulary .field__input .todo-btn').nth(1).tap();
    await page.locator('#vocab-actions .vocab-item', { hasText: '已签约' }).tap();
    expect(await page.locator('#vocab-problem').innerText()).toContain('「已签约」不能删除');
    await shot(page, 'settings-vocabulary-375.png');
    await page.reload();
    await page.locator('#menu-vocabulary').tap();
    await page.locator('#vocab-actions .vocab-item', { hasText: '已预约试听' }).tap();
    await page.locator('#vocab-phrase-new input').fill('想先试听');
    await page.locator('#vocabulary .field__input .todo-btn').nth(1).tap();
    await page.locator('#vocab-save').tap();
    // The tag is on stored follow-ups: the server asks for an explicit yes, naming how many; nothing is saved until then.
    const modal = page.locator('.taro__modal .taro-modal__content');
    await modal.waitFor();
    expect(await modal.innerText()).toContain(`使用被移除跟进动作（已预约试听）的跟进记录 ${used} 条`);
    expect((await apiAs(rig, '张敏', '/api/meta')).actionTags).toContain('已预约试听');
    await shot(page, 'settings-vocabulary-confirm-375.png');
    await page.locator('.taro__modal .taro-modal__foot').getByText('确认更改', { exact: true }).tap();
    await page.locator('#settings-notice').waitFor();
    const meta = await apiAs(rig, '张敏', '/api/meta');
    expect(meta.actionTags).not.toContain('已预约试听');
    expect(meta.quickPhrases).toContain('想先试听');
    await context.close();
  });

  it('ops 黄蓉 creates an intake channel: mapping tried on a pasted sample, key shown once, a push with it lands; a CSV import reports per row', async () => {
    const { page, context } = await pageAs(rig, '黄蓉', '#/pages/settings/index', PHONE);
    await page.locator('#menu-channels').tap();
    await page.locator('#channel-create').waitFor({ timeout: 15_000 });
    await page.locator('#channel-code input').fill('landing-e2e');
    await page.locator('#channel-name input').fill('落地页E2E');
    await page.locator('#channel-tag input').fill('落地页-202612');
    await page.locator('#map-phone input').fill('$.form.mobile');
    await page.locator('#map-name input').fill('$.form.who');
    await page.locator('#map-city input').fill('$.form.city');
    const sample = '{"form": {"mobile": "139 1544 0101", "who": "落地页家长", "city": "苏州"}, "id": "f-1"}';
    await page.locator('#channel-sample textarea').fill('{"form": ');
    await expect.poll(() => page.locator('#channel-try').innerText()).toBe('示例不是合法的 JSON');
    await page.locator('#channel-sample textarea').fill('{"form": {"who": "没有电话"}}');
    await expect.poll(() => page.locator('#channel-try').innerText()).toContain('会被拒收');
    await page.locator('#channel-sample textarea').fill(sample);
    await expect.poll(() => page.locator('#channel-try').innerText()).toContain('能接收 → ');
    expect(await page.locator('#channel-try').innerText()).toContain('称呼：落地页家长');
    await page.locator('#channel-create').tap();
    await page.locator('#channel-key').waitFor();
    const key = (await page.locator('#channel-key .key').innerText()).trim();
    expect(key.length).toBeGreaterThan(16);
    await shot(page, 'settings-channels-375.png');
    const push = await fetch(`${rig.base}/api/intake/landing-e2e`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-intake-key': key },
      body: sample,
    });
    expect(push.status).toBeLessThan(300);
    const [row] = await rig.ds.query("SELECT c.name, c.city, l.channel FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.phone = '13915440101'");
    expect(row).toMatchObject({ name: '落地页家长', city: '苏州', channel: '落地页-202612' });
    // A key is shown once: reopening the page does not show it again.
    await page.reload();
    await page.locator('#menu-channels').tap();
    await page.locator('#channel-landing-e2e').waitFor();
    expect(await page.locator('#channel-key').count()).toBe(0);

    const csv = '手机号,称呼,城市,年级\n13915440201,导入家长一,苏州,初二\n12345,坏号码,苏州,初二\n';
    await page.locator('#import-file').setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await expect.poll(() => page.locator('#import-job').innerText(), { timeout: 15_000 }).toContain('（完成）');
    const text = await page.locator('#import-job').innerText();
    expect(text).toContain('2/2 行，新建 1，合并 0，拒收 1');
    expect(text).toMatch(/第 3 行：.*手机号/);
    await context.close();
  });

  it('admin maps a tag to material seeing who it reaches, and changes a person’s role', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index', PHONE);
    await page.locator('#menu-content').tap();
    await page.locator('#content-add').waitFor({ timeout: 15_000 });
    await page.locator('#content-tag input').fill('焦虑');
    await page.locator('#content-title input').fill('考前减压指南');
    await page.locator('#content-url input').fill('not a url');
    await page.locator('#content-add').tap();
    await expect.poll(() => page.locator('#content-error').innerText()).toContain('完整网址');
    await page.locator('#content-url input').fill('https://example.com/relax.pdf');
    await page.locator('#content-add').tap();
    await page.locator('#settings-notice').waitFor();
    const reach = (await apiAs(rig, '系统管理员', '/api/settings/vocabulary')).usage.contentTags['焦虑'];
    await expect.poll(() => page.locator('#content').innerText()).toContain(`「焦虑」→ 考前减压指南`);
    expect(await page.locator('#content').innerText()).toContain(`${reach} 位客户带有此标签`);
    await page.locator('#menu-people').tap();
    const liu = (await apiAs(rig, '系统管理员', '/api/users?q=刘洋')).items[0];
    await page.locator(`#person-${liu.id} .person__main`).tap();
    await page.locator(`#person-${liu.id} .chip`, { hasText: '主管' }).tap();
    await page.locator('#settings-notice').waitFor();
    expect(await page.locator('#settings-notice').innerText()).toContain('刘洋 的角色已改为 主管');
    expect((await apiAs(rig, '系统管理员', `/api/users/${liu.id}`)).role).toBe('supervisor');
    await context.close();
  });

  it('ops 黄蓉 edits a script: variables inserted, filled in for a real lead, an empty title refused inline, saved', async () => {
    const { page, context } = await pageAs(rig, '黄蓉', '#/pages/settings/index', PHONE);
    await page.locator('#menu-scripts').tap();
    const list = await apiAs(rig, '黄蓉', '/api/scripts');
    const target = list.items.find((x: any) => x.title === '试听邀约');
    await page.locator(`#script-${target.id} .person__main`).tap();
    await page.locator('#script-editor').waitFor();
    await page.locator('#script-title input').fill('');
    await expect.poll(() => page.locator('#script-editor').innerText()).toContain('请填写标题');
    await page.locator('#script-title input').fill('周六试听邀约');
    await page.locator('#script-text textarea').fill('{称呼}您好，本周六有{课程}试听，我是{顾问}。');
    const preview = await page.locator('#script-preview').innerText();
    expect(preview).not.toMatch(/[{}]/);
    expect(preview).toMatch(/^.+您好，本周六有.+试听，我是.+。$/);
    await shot(page, 'settings-script-375.png');
    await page.locator('#script-save').tap();
    await page.locator('#settings-notice').waitFor();
    const after = (await apiAs(rig, '黄蓉', '/api/scripts')).items.find((x: any) => x.id === target.id);
    expect(after).toMatchObject({ title: '周六试听邀约', text: '{称呼}您好，本周六有{课程}试听，我是{顾问}。' });
    await context.close();
  });
});

describe('every page as every role, at 375 and 1280 px (screenshots in test-results/screenshots)', { timeout: 180_000 }, () => {
  let rig: SidebarRig;
  beforeAll(async () => {
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  const PAGES: { id: string; hash: string; ready: string }[] = [
    { id: 'followup', hash: '', ready: '#phone input' },
    { id: 'todo', hash: '#/pages/todo/index', ready: '#todo-title' },
    { id: 'team', hash: '#/pages/team/index', ready: '#escalations, #team-forbidden' },
    { id: 'dashboard', hash: '#/pages/dashboard/index', ready: '#dash-title' },
    { id: 'settings', hash: '#/pages/settings/index', ready: '#settings-menu, #settings-forbidden' },
  ];
  const ROLES: { name: string; tabs: string[] }[] = [
    { name: '张敏', tabs: ['跟进', '我的待办', '我的数据'] },
    { name: '李静', tabs: ['跟进', '待办', '团队', '看板'] },
    { name: '黄蓉', tabs: ['跟进', '待办', '团队', '看板', '设置'] },
    { name: '系统管理员', tabs: ['跟进', '待办', '团队', '看板', '设置'] },
  ];

  it('each role sees its own tabs on every page, and a page outside its role says so instead of failing', async () => {
    for (const role of ROLES) {
      for (const p of PAGES) {
        for (const size of [PHONE, DESKTOP]) {
          const { page, context } = await pageAs(rig, role.name, p.hash, size);
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          await page.locator(p.ready).first().waitFor({ timeout: 15_000 });
          expect(await page.locator('#fatal').count(), `${role.name} ${p.id}`).toBe(0);
          const tabs = (await page.locator('#nav .nav__tab').allInnerTexts()).map((t) => t.replace(/\d+$/, '').trim());
          expect(tabs, `${role.name} ${p.id}`).toEqual(role.tabs);
          if (p.id === 'team') expect(await page.locator('#team-forbidden').count()).toBe(role.name === '张敏' ? 1 : 0);
          if (p.id === 'settings') expect(await page.locator('#settings-forbidden').count()).toBe(role.name === '李静' || role.name === '张敏' ? 1 : 0);
          expect(errors, `${role.name} ${p.id} ${size.width}`).toEqual([]);
          await shot(page, `page-${p.id}-${role.name}-${size.width}.png`);
          await context.close();
        }
      }
    }
  });
});
