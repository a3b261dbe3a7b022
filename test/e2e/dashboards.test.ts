import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { KPI_IDS } from '../../shared/src/metrics/definitions';
import type {
  ChannelRoiResponse,
  DrillResponse,
  JourneyHeatResponse,
  KpisResponse,
  LeadHealthResponse,
  RepBattleResponse,
} from '../../shared/src/metrics/types';
import { defaultFilters, filterQuery } from '../../miniapp/src/dashboard/filters';
import { HEAT_GRID, heatHeight } from '../../miniapp/src/dashboard/heat-layout';
import { SidebarRig } from './support';
import { shot } from './pages';

// Screenshots to look at after a run; an ignored folder, so a test run never rewrites tracked files.
const SHOTS = `${__dirname}/../../test-results/screenshots`;
const DASH = '/sidebar/#/pages/dashboard/index';

interface Session {
  token: string;
  user: { id: number; name: string; role: string };
}

describe('dashboards H5 in Chromium against the real server (demo data)', { timeout: 90_000 }, () => {
  let rig: SidebarRig;
  const sessions = new Map<string, Session>();

  /** A seeded user's session (dev-login by id), as the dashboards' API would see it. */
  async function login(name: string): Promise<Session> {
    if (sessions.has(name)) return sessions.get(name)!;
    const [row] = await rig.ds.query('SELECT id FROM app_user WHERE name = ? AND deletedAt IS NULL', [name]);
    expect(row, `demo user ${name}`).toBeTruthy();
    const res = await fetch(`${rig.base}/api/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: Number(row.id) }),
    });
    const s = (await res.json()) as Session;
    sessions.set(name, s);
    return s;
  }

  async function apiAs<T>(name: string, path: string): Promise<{ status: number; body: T }> {
    const s = await login(name);
    const res = await fetch(`${rig.base}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
    return { status: res.status, body: (await res.json().catch(() => null)) as T };
  }

  /** The same default range the page uses (last 30 China-time days). */
  const qs = () => filterQuery(defaultFilters());

  /** A phone-sized page signed in as `name` (the session token is in storage, as after a WeCom/DingTalk login). */
  async function pageAs(name: string, hash: string | null = ''): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
    const s = await login(name);
    const context = await rig.browser.newContext({
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      hasTouch: true,
      isMobile: true,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      acceptDownloads: true,
    });
    await context.addInitScript({ content: `localStorage.setItem('lifeline.token', ${JSON.stringify(JSON.stringify({ data: s.token }))});` });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r: Request) => requests.push(r.url()));
    if (hash !== null) await page.goto(`${rig.base}${DASH}${hash}`);
    return { context, page, requests };
  }

  /** Charts are ECharts canvases: wait until the chart drew (a sized <canvas> inside the card). */
  async function chartDrawn(page: Page, id: string) {
    const canvas = page.locator(`#${id} canvas`).first();
    await canvas.waitFor({ timeout: 15_000 });
    await expect.poll(async () => (await canvas.boundingBox())?.height ?? 0).toBeGreaterThan(50);
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    rig = await new SidebarRig().start();
  });
  afterAll(() => rig?.stop());

  it('director 马骏: KPI strip (7 KPIs, targets, red state) and lead health with charts, reached from the sidebar', async () => {
    const { page, context } = await pageAs('马骏', null);
    // The entry point on the sidebar page.
    await page.goto(`${rig.base}/sidebar/`);
    await page.locator('#nav-dashboard').waitFor();
    expect(await page.locator('#nav-dashboard').innerText()).toBe('看板');
    await page.locator('#nav-dashboard').click();
    await page.locator('#kpi-strip').waitFor({ timeout: 15_000 });
    expect(page.url()).toContain('#/pages/dashboard/index');
    expect(await page.locator('#dash-title').innerText()).toBe('数据看板');
    expect(await page.locator('#tabs .tab').allInnerTexts()).toEqual(['线索健康', '顾问作战图', '渠道ROI', '旅程热力图']);

    const kpis = (await apiAs<KpisResponse>('马骏', `/api/metrics/kpis?${qs()}`)).body;
    for (const id of KPI_IDS) {
      const tile = page.locator(`#kpi-${id}`);
      expect(await tile.innerText()).toContain('目标');
      expect(await tile.getAttribute('class')).toContain(kpis.kpis[id].red ? 'kpi--red' : 'kpi');
      expect((await tile.getAttribute('class'))!.includes('kpi--red')).toBe(kpis.kpis[id].red);
    }
    const health = (await apiAs<LeadHealthResponse>('马骏', `/api/metrics/lead-health?${qs()}`)).body;
    expect(health.scope.limitedTo).toBe('company');
    await page.locator('#health-leads').waitFor();
    expect(await page.locator('#health-leads').innerText()).toBe(String(health.leads));
    expect(health.leads).toBeGreaterThan(0);
    await chartDrawn(page, 'chart-loss');
    await chartDrawn(page, 'chart-trend');
    // Every card says when its data was last updated.
    for (const card of ['#kpi-card', '#health-summary', '#health-loss', '#health-trend']) {
      expect(await page.locator(`${card} .stamp`).innerText()).toMatch(/数据更新于 (\d{2}:\d{2}:\d{2}|\d+月\d+日 \d{2}:\d{2})/);
    }
    expect(await page.locator('#export').isVisible()).toBe(true);
    await shot(page, '10-lead-health.png');
    await context.close();
  });

  it('director 马骏: rep battle map of the whole company, 48 h rate below the threshold in red', async () => {
    const { page, context } = await pageAs('马骏', '?view=battle');
    await page.locator('#battle-table').waitFor({ timeout: 15_000 });
    const battle = (await apiAs<RepBattleResponse>('马骏', `/api/metrics/rep-battle?${qs()}`)).body;
    expect(battle.reps.length).toBeGreaterThan(0);
    expect(await page.locator('#battle-table .tr:not(.th)').count()).toBe(battle.reps.length);
    for (const r of battle.reps) {
      const row = page.locator(`#rep-${r.repId}`);
      expect(await row.innerText()).toContain(r.name);
      const red = r.followup48h.value !== null && r.followup48h.value < battle.threshold48h;
      expect(await row.locator('.td--red').count(), `${r.name} 48h ${r.followup48h.value}`).toBe(red ? 1 : 0);
    }
    // Both centres appear for the director.
    const names = battle.reps.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['张敏', '周杰']));
    await chartDrawn(page, 'chart-battle');
    expect(await page.locator('#battle-chart .stamp').innerText()).toContain('数据更新于');
    await shot(page, '11-rep-battle-director.png');
    await context.close();
  });

  it('supervisor 李静: battle map of her subtree only, no export button', async () => {
    const { page, context } = await pageAs('李静', '?view=battle');
    await page.locator('#battle-table').waitFor({ timeout: 15_000 });
    const battle = (await apiAs<RepBattleResponse>('李静', `/api/metrics/rep-battle?${qs()}`)).body;
    expect(battle.scope.limitedTo).toBe('subtree');
    const shown = (await page.locator('#battle-table .rep-name').allInnerTexts()).sort();
    expect(shown).toEqual(battle.reps.map((r) => r.name).sort());
    expect(shown).toContain('张敏');
    // 南京鼓楼中心 reps are not hers.
    for (const other of ['周杰', '吴昊', '郑爽']) expect(shown).not.toContain(other);
    expect(await page.locator('#export').count()).toBe(0);
    expect((await apiAs('李静', `/api/metrics/export?view=rep-battle&${qs()}`)).status).toBe(403);
    await chartDrawn(page, 'chart-battle');
    await shot(page, '12-rep-battle-supervisor.png');
    await context.close();
  });

  it('ops 黄蓉: channel ROI, spend entry changes cost per lead, CSV export downloads', async () => {
    const { page, context } = await pageAs('黄蓉', '?view=roi');
    await page.locator('#roi-table').waitFor({ timeout: 15_000 });
    const roi = (await apiAs<ChannelRoiResponse>('黄蓉', `/api/metrics/channel-roi?${qs()}`)).body;
    expect(roi.channels.length).toBeGreaterThan(0);
    expect(await page.locator('#roi-table .chan').count()).toBe(roi.channels.length);
    await chartDrawn(page, 'chart-roi');

    // Enter the spend for the biggest channel in the latest month of the range: its cost per lead follows.
    const top = [...roi.channels].sort((a, b) => b.leads - a.leads)[0];
    const month = roi.months[roi.months.length - 1];
    expect(await page.locator('#spend-channel').innerText()).toContain(top.channel);
    expect(await page.locator('#spend-month').innerText()).toContain(month);
    await page.locator('#spend-amount input').fill('6000');
    await page.locator('#spend-save').click();
    await expect.poll(() => page.locator('#spend-msg').innerText()).toContain('已保存');
    const after = (await apiAs<ChannelRoiResponse>('黄蓉', `/api/metrics/channel-roi?${qs()}`)).body.channels.find((c) => c.channel === top.channel)!;
    expect(after.spend).toBeGreaterThanOrEqual(6000);
    const cpl = after.costPerLead!;
    const expected = `¥${cpl >= 1000 ? Math.round(cpl).toLocaleString('en-US') : cpl.toFixed(cpl % 1 ? 2 : 0)}`;
    await expect.poll(() => page.locator(`[id="chan-${top.channel}"] .chan__cpl`).innerText()).toBe(expected);
    // Defect 8: revenue, cost per signing and ROI are shown; counts and percentages have a chart each.
    const row = page.locator(`[id="chan-${top.channel}"]`);
    for (const label of ['签约额', '单签成本', 'ROI']) expect(await row.innerText()).toContain(label);
    if (after.roi !== null) expect(await row.locator('.chan__roi').innerText()).toBe(`${(after.roi * 100).toFixed(0)}%`);
    await chartDrawn(page, 'chart-retention');

    // Export: a CSV file named for the view, with the channels in it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
    const file = await download.path();
    const csv = fs.readFileSync(file!, 'utf8');
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    expect(csv).toContain(top.channel);
    await expect.poll(() => page.locator('#dash-notice').innerText()).toContain('已导出');
    await shot(page, '13-channel-roi.png');
    await context.close();
  });

  it('journey heat map: tapping a cell lists its leads, tapping a lead opens its timeline', async () => {
    const { page, context } = await pageAs('马骏', '?view=heat');
    await page.locator('#heat-card').waitFor({ timeout: 15_000 });
    await chartDrawn(page, 'chart-heat');
    const heat = (await apiAs<JourneyHeatResponse>('马骏', `/api/metrics/journey-heat?${qs()}&by=city`)).body;
    const cell = heat.cells.filter((c) => c.avgHours !== null && c.stays > 0).sort((a, b) => b.stays - a.stays)[0];
    expect(cell, 'a heat cell with completed stays in the demo data').toBeTruthy();
    await shot(page, '14-journey-heat.png');

    // Tap the cell on the canvas, at its centre in the chart's grid.
    const box = (await page.locator('#chart-heat').boundingBox())!;
    expect(Math.round(box.height)).toBe(heatHeight(heat.values.length));
    const w = (box.width - HEAT_GRID.left - HEAT_GRID.right) / heat.nodes.length;
    const x = box.x + HEAT_GRID.left + (heat.nodes.indexOf(cell.node) + 0.5) * w;
    const y = box.y + HEAT_GRID.top + (heat.values.indexOf(cell.value) + 0.5) * HEAT_GRID.row;
    await page.mouse.click(x, y);
    await page.locator('#drill-card').waitFor({ timeout: 10_000 });
    expect(await page.locator('#drill-card .dcard__title').innerText()).toBe(`${cell.value} · ${cell.node}`);

    const drill = (
      await apiAs<DrillResponse>(
        '马骏',
        `/api/metrics/drill?${qs()}&node=${encodeURIComponent(cell.node)}&by=city&value=${encodeURIComponent(cell.value)}&page=1&pageSize=20`,
      )
    ).body;
    expect(drill.total).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#drill-card .dcard__sub').innerText()).toContain(`共 ${drill.total} 条`);
    expect(await page.locator('.drill-item').count()).toBe(drill.items.length);
    await shot(page, '15-drill.png');

    const first = drill.items[0];
    await page.locator(`#drill-${first.leadId}`).click();
    await page.locator('#timeline-card .tl').first().waitFor({ timeout: 10_000 });
    const timeline = (await apiAs<{ items: { text: string }[] }>('马骏', `/api/leads/${first.leadId}/timeline`)).body;
    expect(await page.locator('#timeline-card .tl').count()).toBe(timeline.items.length);
    const text = await page.locator('#timeline-card').innerText();
    expect(text).toContain('留资');
    for (const e of timeline.items) expect(text).toContain(e.text);
    await shot(page, '16-timeline.png');

    // Back to the list, then to the map.
    await page.locator('#timeline-back').click();
    await page.locator('#drill-card').waitFor();
    await page.locator('#drill-back').click();
    await page.locator('#heat-card').waitFor();
    await context.close();
  });

  it('rep 张敏 cannot open the supervisor views: a clear 无权查看, no data requested, no tabs', async () => {
    for (const view of ['battle', 'roi', 'heat']) {
      const { page, context, requests } = await pageAs('张敏', `?view=${view}`);
      await page.locator('#forbidden').waitFor({ timeout: 15_000 });
      expect(await page.locator('#forbidden').innerText()).toContain('无权查看');
      expect(await page.locator('#tabs').count()).toBe(0);
      expect(await page.locator('.dcard').count()).toBe(0);
      expect(await page.locator('#export').count()).toBe(0);
      expect(requests.filter((u) => /\/api\/metrics\/(rep-battle|channel-roi|journey-heat|drill)/.test(u))).toEqual([]);
      if (view === 'battle') {
        await shot(page, '17-rep-forbidden.png');
        await page.locator('#to-allowed').click();
        await page.locator('#health-leads').waitFor({ timeout: 15_000 });
      }
      await context.close();
    }
    // The server agrees.
    for (const p of ['rep-battle', 'channel-roi', 'journey-heat?by=city']) {
      expect((await apiAs('张敏', `/api/metrics/${p}`)).status).toBe(403);
    }
  });

  it('rep 张敏 sees her own numbers under 我的数据 (from the sidebar entry)', async () => {
    const { page, context } = await pageAs('张敏', null);
    await page.goto(`${rig.base}/sidebar/`);
    await page.locator('#nav-dashboard').waitFor();
    expect(await page.locator('#nav-dashboard').innerText()).toBe('我的数据');
    await page.locator('#nav-dashboard').click();
    await page.locator('#health-leads').waitFor({ timeout: 15_000 });
    expect(await page.locator('#dash-title').innerText()).toBe('我的数据');
    expect(await page.locator('#scope-note').innerText()).toContain('你本人');
    const own = (await apiAs<LeadHealthResponse>('张敏', `/api/metrics/lead-health?${qs()}`)).body;
    const all = (await apiAs<LeadHealthResponse>('马骏', `/api/metrics/lead-health?${qs()}`)).body;
    expect(own.scope.limitedTo).toBe('own');
    expect(own.leads).toBeGreaterThan(0);
    expect(own.leads).toBeLessThan(all.leads);
    expect(await page.locator('#health-leads').innerText()).toBe(String(own.leads));
    const kpis = (await apiAs<KpisResponse>('张敏', `/api/metrics/kpis?${qs()}`)).body;
    expect(kpis.scope.limitedTo).toBe('own');
    expect(await page.locator('#kpi-strip .kpi').count()).toBe(7);
    expect(await page.locator('#filter-toggle').count()).toBe(0);
    expect(await page.locator('#export').count()).toBe(0);
    await chartDrawn(page, 'chart-loss');
    await shot(page, '18-rep-own.png');
    await context.close();
  });
});
