import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SidebarRig } from './support';
import { apiAs, pageAs, shot, tokenOf } from './pages';

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

describe('数据安全 in Chromium (real H5 build, real server)', { timeout: 90_000 }, () => {
  let rig: SidebarRig;
  beforeAll(async () => {
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  it('a supervisor deletes three leads; the admin opens the alarm link, previews and undoes them in two taps', async () => {
    const since = Date.now();
    const mine = await apiAs(rig, '李静', '/api/leads?pageSize=3');
    const ids: number[] = mine.items.map((l: { id: number }) => l.id);
    expect(ids).toHaveLength(3);
    for (const id of ids) await apiAs(rig, '李静', `/api/leads/${id}`, { method: 'DELETE' });
    const { id: li } = await tokenOf(rig, '李静');
    // What the delete-spike alarm links to: 设置 → 数据安全 with the person and time filled in.
    const { page, context } = await pageAs(rig, '系统管理员', `#/pages/settings/index?section=safety&actorId=${li}&since=${since}`, PHONE);
    await page.locator('#health .health').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('#undo-people .chip--on').innerText()).toBe('李静');
    await page.locator('#undo-preview').tap();
    await page.locator('#undo-result').waitFor();
    expect(await page.locator('#undo-result').innerText()).toContain('线索 · 删除/恢复：3');
    await shot(page, 'settings-safety-undo-375.png');
    await page.locator('#undo-run').tap();
    await page.locator('.taro__modal .taro-modal__foot').getByText('撤销', { exact: true }).tap();
    await page.locator('#settings-notice').waitFor();
    expect(await page.locator('#settings-notice').innerText()).toContain('已撤销 3 处变更');
    for (const id of ids) expect((await apiAs(rig, '李静', `/api/leads/${id}`)).deletedAt).toBeNull();
    await context.close();
  });

  it('the admin takes a snapshot and previews a restore table by table; ops sees data health only', async () => {
    const { page, context } = await pageAs(rig, '系统管理员', '#/pages/settings/index?section=safety', DESKTOP);
    await page.locator('#snapshot-now').waitFor({ timeout: 15_000 });
    // The delete-spike threshold: a value out of range is refused beside the field, a good one saved.
    await page.locator('#spike-count input').fill('2');
    await page.locator('#spike-save').tap();
    expect(await page.locator('#spike-thresholds .error').innerText()).toContain('删除条数至少为 5');
    await page.locator('#spike-count input').fill('30');
    await page.locator('#spike-save').tap();
    await page.locator('#settings-notice').waitFor();
    expect((await apiAs(rig, '系统管理员', '/api/settings/data-safety')).deleteSpikeCount).toBe(30);
    await page.locator('#snapshot-now').tap();
    await expect.poll(() => page.locator('#settings-notice').innerText()).toContain('快照已完成');
    const list = await apiAs(rig, '系统管理员', '/api/snapshots');
    const newest = list.items[0];
    expect(newest).toMatchObject({ usable: true });
    await page.locator(`#snapshot-${newest.id} .snapshot__btn`).tap();
    await page.locator('#restore-diff').waitFor();
    expect(await page.locator('#restore-diff').innerText()).toContain('与当前数据完全一致，无需恢复');
    await shot(page, 'settings-safety-1280.png');
    await context.close();

    const ops = await pageAs(rig, '黄蓉', '#/pages/settings/index?section=safety', PHONE);
    await ops.page.locator('#health .health').first().waitFor({ timeout: 15_000 });
    expect(await ops.page.locator('#undo').count()).toBe(0);
    await shot(ops.page, 'settings-safety-ops-375.png');
    await ops.context.close();
  });
});
