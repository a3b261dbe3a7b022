import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import type { SidebarRig } from './support';

/** Screenshots to look at after a run (an ignored folder). */
export const SHOTS = `${__dirname}/../../test-results/screenshots`;

/** A seeded user's session token (dev-login by name). */
export async function tokenOf(rig: SidebarRig, name: string): Promise<{ token: string; id: number }> {
  const [row] = await rig.ds.query('SELECT id FROM app_user WHERE name = ? AND deletedAt IS NULL', [name]);
  if (!row) throw new Error(`demo user ${name} not found`);
  const res = await fetch(`${rig.base}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: Number(row.id) }),
  });
  return { token: ((await res.json()) as { token: string }).token, id: Number(row.id) };
}

/** The API as `name` sees it. */
export async function apiAs<T = any>(rig: SidebarRig, name: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const { token } = await tokenOf(rig, name);
  const res = await fetch(`${rig.base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return (await res.json()) as T;
}

/**
 * A page of the H5 build signed in as `name` (the token in storage, as after a WeCom/DingTalk login), at a phone
 * (375 px) or a desktop workbench window (1280 px).
 */
export async function pageAs(
  rig: SidebarRig,
  name: string | null,
  hash: string,
  size: { width: number; height: number } = { width: 375, height: 740 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await rig.browser.newContext({
    viewport: size,
    hasTouch: true,
    isMobile: size.width < 600,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  if (name) {
    const { token } = await tokenOf(rig, name);
    await context.addInitScript({ content: `localStorage.setItem('lifeline.token', ${JSON.stringify(JSON.stringify({ data: token }))});` });
  }
  const page = await context.newPage();
  await page.goto(`${rig.base}/sidebar/${hash}`);
  return { context, page };
}

/** A whole-page screenshot: Taro H5 scrolls inside the page element, so the viewport is stretched to the content first. */
export async function shot(page: Page, file: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(300);
  const h = await page.evaluate(() => {
    const pages = Array.from(document.querySelectorAll('.taro_page')) as HTMLElement[];
    return Math.max(document.documentElement.scrollHeight, ...pages.map((el) => el.scrollHeight));
  });
  const vp = page.viewportSize()!;
  await page.setViewportSize({ width: vp.width, height: Math.max(vp.height, Math.ceil(h)) });
  await page.waitForTimeout(200);
  await page.screenshot({ path: `${SHOTS}/${file}`, fullPage: true });
  await page.setViewportSize(vp);
}

/** Whether an element is (at least partly) inside the viewport the user is looking at. */
export async function inViewport(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).boundingBox();
  const vp = page.viewportSize()!;
  return !!box && box.y + box.height > 0 && box.y < vp.height && box.height > 0;
}
