/**
 * npm run bench:sidebar — cold load of the H5 sidebar in Chromium on localhost (time to interactive, JS shipped
 * gzipped) and the taps / typed characters needed to record the standard follow-up (action chip, quick phrase,
 * 下周三). Prints the figures and rewrites the `## bench:sidebar` section of docs/benchmarks.md.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { SidebarRig } from './support';
import { parseChineseDate } from '../../shared/src/dates';
import { fakeWecomForSidebar, wecomContext } from './wecom-emulation';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TTI_TARGET_MS = 1000;
const JS_TARGET_KB = 300;
const WANG = '13915441234';

async function main() {
  process.env.LOG_LEVEL ??= 'silent';
  execFileSync(process.execPath, [path.resolve(__dirname, '../../miniapp/scripts/ensure-h5.cjs')], { stdio: 'inherit' });
  const wecom = await fakeWecomForSidebar();
  const rig = await new SidebarRig({ wecom: { corpId: wecom.corpId, agentId: 1000002, secret: wecom.secret, apiBase: wecom.base } }).start();
  await rig.ds.query('UPDATE app_user SET wecomUserId = ? WHERE name = ?', ['zhangmin', '张敏']);
  try {
    // Cold loads: a fresh browser context each time (no HTTP cache, no storage), so each run signs in again.
    const tti: number[] = [];
    const dcl: number[] = [];
    let jsUrls: string[] = [];
    let cssUrls: string[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const { context, page } = await rig.page();
      const js: string[] = [];
      const css: string[] = [];
      page.on('response', (r) => {
        const u = r.url();
        if (u.includes('/sidebar/') && u.endsWith('.js')) js.push(u);
        if (u.includes('/sidebar/') && u.endsWith('.css')) css.push(u);
      });
      const t0 = Date.now();
      await page.goto(`${rig.base}/sidebar/`);
      // Interactive = signed in, the company's action chips rendered and the phone box accepting input.
      await page.locator('#actions .chip').first().waitFor();
      await page.locator('#phone input').waitFor();
      const t1 = Date.now();
      const nav = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd);
      if (i > 0) {
        // the first run warms the server's file cache and the demo sign-in path
        tti.push(t1 - t0);
        dcl.push(nav);
      }
      await page.waitForLoadState('networkidle'); // count lazily loaded chunks too
      jsUrls = js;
      cssUrls = css;
      await context.close();
    }
    const gz = async (urls: string[]) => {
      let total = 0;
      for (const u of urls) {
        const res = await fetch(u, { headers: { 'accept-encoding': 'gzip' } });
        total += Number(res.headers.get('content-length') ?? (await res.arrayBuffer()).byteLength);
      }
      return total;
    };
    const jsGz = await gz(jsUrls);
    const cssGz = await gz(cssUrls);

    // Taps and typed characters for the standard follow-up.
    const [lead] = await rig.ds.query('SELECT l.id FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.phone = ? ORDER BY l.id LIMIT 1', [WANG]);
    const leadId = Number(lead.id);
    const record = async (fromChat: boolean) => {
      // From the chat: the WeCom client (its JS bridge emulated) opens the page with an OAuth code; the sidebar signs
      // in, registers the JS-SDK and reads the chat's contact, whose remark mobile fills the phone box.
      const context = fromChat ? await wecomContext(rig) : (await rig.page()).context;
      const page = context.pages()[0] ?? (await context.newPage());
      let taps = 0;
      let typed = 0;
      await page.goto(`${rig.base}/sidebar/${fromChat ? '?code=code-zhangmin' : ''}`);
      await page.locator('#phone input').waitFor();
      if (!fromChat) {
        await page.locator('#phone input').fill(WANG);
        typed += WANG.length;
      }
      await page.locator('#customer').waitFor({ timeout: 15_000 });
      if ((await page.locator('#phone input').inputValue()) !== WANG) throw new Error('the phone was not filled in');
      await page.locator('#actions .chip', { hasText: '已电话沟通' }).tap();
      taps++;
      await page.locator('#phrases .chip', { hasText: '预算有限' }).tap();
      taps++;
      await page.locator('#next-chips .chip', { hasText: '下周三' }).tap();
      taps++;
      await page.locator('#save').tap();
      taps++;
      await page.locator('#saved').waitFor();
      const [f] = await rig.ds.query('SELECT action, conclusion, nextStepAt FROM followup WHERE leadId = ? ORDER BY id DESC LIMIT 1', [leadId]);
      const want = parseChineseDate('下周三', Date.now())!;
      if (f.action !== '已电话沟通' || f.conclusion !== '预算有限' || Number(f.nextStepAt) !== want.at) {
        throw new Error(`the recorded follow-up is wrong: ${JSON.stringify(f)}`);
      }
      await context.close();
      return { taps, typed };
    };
    const chat = await record(true);
    const typedPhone = await record(false);
    const todo = await benchTodo(rig, jsUrls);

    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const fig = {
      ttiMedian: med(tti),
      ttiMax: Math.max(...tti),
      dclMedian: Math.round(med(dcl)),
      jsKb: +(jsGz / 1024).toFixed(1),
      cssKb: +(cssGz / 1024).toFixed(1),
      jsFiles: jsUrls.length,
    };
    Object.assign(fig, { todoMedian: todo.median, todoMax: todo.max, todoRows: todo.rows });
    const ok =
      fig.ttiMedian <= TTI_TARGET_MS && fig.jsKb <= JS_TARGET_KB && chat.taps <= 5 && chat.typed === 0 && todo.median <= TTI_TARGET_MS && todo.separate;
    const lines = [
      `Cold load, ${RUNS} runs (fresh context each, after one warm-up), 360×800 touch viewport, Chromium headless, loopback;`,
      `  machine load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} on ${os.cpus().length} cores (shared with other work: figures rise with it):`,
      `  time to interactive (goto → signed in, action chips and phone box ready): median ${fig.ttiMedian} ms, max ${fig.ttiMax} ms (target ≤ ${TTI_TARGET_MS} ms)`,
      `  DOMContentLoaded: median ${fig.dclMedian} ms`,
      `  JS shipped: ${fig.jsKb} KB gzipped in ${fig.jsFiles} files (target ≤ ${JS_TARGET_KB} KB); CSS ${fig.cssKb} KB gzipped`,
      `Standard follow-up (已电话沟通 + 预算有限 + 下周三, verified in the database):`,
      `  customer from the WeCom chat context (JS bridge emulated): ${chat.taps} taps, ${chat.typed} typed characters (target ≤ 5 taps, 0 characters)`,
      `  phone typed in a plain browser:  ${typedPhone.taps} taps, ${typedPhone.typed} typed characters`,
      `我的待办 with ${todo.rows} open leads needing action (张敏, signed in), cold load, from navigation start in the page:`,
      `  interactive (count shown, first 12 rows with their buttons): median ${todo.median} ms, max ${todo.max} ms (target ≤ ${TTI_TARGET_MS} ms);`,
      `  every one of the ${todo.rows} rows rendered: median ${todo.allMedian} ms; Playwright's wall clock to the last row: median ${todo.wallMedian} ms`,
      `  GET /api/todo alone (the physical floor, no browser): median ${todo.apiMedian} ms → page ${(todo.median / Math.max(1, todo.apiMedian)).toFixed(1)}× the API`,
      `  pages in their own chunks: 团队 loads ${todo.teamExtra.files} more JS files (${todo.teamExtra.kb} KB gz), 设置 ${todo.settingsExtra.files} (${todo.settingsExtra.kb} KB gz), none of them in the sidebar's first load`,
      ok ? 'All targets met.' : 'TARGET MISSED (see above).',
    ];
    console.log(lines.join('\n'));
    writeSection(lines, fig);
    if (!ok) process.exitCode = 1;
  } finally {
    await rig.stop();
    await wecom.stop();
  }
}

/**
 * 我的待办 at the bench's profile: 200 open leads of 张敏 that need action (assigned, untouched), each cold load a fresh
 * context signed in as her; interactive = every row rendered. Also which JS the 团队 and 设置 pages add.
 */
async function benchTodo(rig: SidebarRig, sidebarJs: string[]) {
  const api = async (token: string, method: string, p: string, body?: unknown) => {
    const res = await fetch(`${rig.base}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json() as Promise<any>;
  };
  const login = async (name: string) => {
    const [u] = await rig.ds.query('SELECT id FROM app_user WHERE name = ?', [name]);
    const r = await fetch(`${rig.base}/api/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: Number(u.id) }),
    });
    return { token: ((await r.json()) as { token: string }).token, id: Number(u.id) };
  };
  const zhang = await login('张敏');
  const li = await login('李静');
  const have = (await api(zhang.token, 'GET', '/api/todo?limit=0')).total as number;
  for (let i = have; i < 200; i++) {
    await api(li.token, 'POST', '/api/leads', { phone: `1370000${String(i).padStart(4, '0')}`, channel: '抖音-bench', name: `待办${i}`, ownerId: zhang.id });
  }
  const rows = (await api(zhang.token, 'GET', '/api/todo?limit=0')).total as number;
  const apiTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await api(zhang.token, 'GET', '/api/todo');
    apiTimes.push(Math.round(performance.now() - t0));
  }
  // Measured in the page from navigation start (requestAnimationFrame): the 12th row's 写跟进 button has a box and the
  // title shows the count. Playwright's own waiting adds a few hundred ms of polling to a wall clock; that figure is
  // reported beside it.
  const probe = `(() => { const t = () => { const w = document.querySelectorAll('.todo-write')[11]; const h = document.querySelector('#todo-title');
    if (!window.__ready && w && w.getBoundingClientRect().height > 0 && h && /\\d+ 条/.test(h.textContent)) window.__ready = performance.now();
    const rows = document.querySelectorAll('.todo-row').length; if (!window.__all && rows >= ${Math.min(rows, 200)}) window.__all = performance.now();
    if (!window.__ready || !window.__all) requestAnimationFrame(t); }; requestAnimationFrame(t); })();`;
  const times: number[] = [];
  const allTimes: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const { context, page } = await rig.page();
    await context.addInitScript({ content: `localStorage.setItem('lifeline.token', ${JSON.stringify(JSON.stringify({ data: zhang.token }))}); ${probe}` });
    const t0 = Date.now();
    await page.goto(`${rig.base}/sidebar/#/pages/todo/index`);
    await page
      .locator('#todo-list .todo-row')
      .nth(Math.min(rows, 200) - 1)
      .waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => (window as any).__ready && (window as any).__all);
    const [ready, all] = await page.evaluate(() => [(window as any).__ready as number, (window as any).__all as number]);
    if (i > 0) {
      times.push(Math.round(ready));
      allTimes.push(Math.round(all));
      wall.push(Date.now() - t0);
    }
    await context.close();
  }
  const extraJs = async (hash: string, as: string) => {
    const { token } = await login(as);
    const { context, page } = await rig.page();
    await context.addInitScript({ content: `localStorage.setItem('lifeline.token', ${JSON.stringify(JSON.stringify({ data: token }))});` });
    const js: string[] = [];
    page.on('response', (r) => r.url().endsWith('.js') && js.push(r.url()));
    await page.goto(`${rig.base}/sidebar/${hash}`);
    await page.waitForLoadState('networkidle');
    await context.close();
    const extra = js.filter((u) => !sidebarJs.includes(u));
    let bytes = 0;
    for (const u of extra) bytes += Number((await fetch(u, { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-length') ?? 0);
    return { files: extra.length, kb: +(bytes / 1024).toFixed(1) };
  };
  const teamExtra = await extraJs('#/pages/team/index', '李静');
  const settingsExtra = await extraJs('#/pages/settings/index', '系统管理员');
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    rows,
    median: med(times),
    max: Math.max(...times),
    allMedian: med(allTimes),
    wallMedian: med(wall),
    apiMedian: med(apiTimes),
    teamExtra,
    settingsExtra,
    separate: teamExtra.files > 0 && settingsExtra.files > 0,
  };
}

function writeSection(lines: string[], fig: Record<string, number>) {
  const file = path.resolve(__dirname, '../../docs/benchmarks.md');
  const now = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const section = [
    '## bench:sidebar',
    '',
    `Run: \`npm run bench:sidebar\` (${now} UTC, ${os.cpus().length} cores shared, Node ${process.version}). It builds the H5 sidebar if`,
    'needed, starts the real server on an in-memory SQLite demo, and drives Debian Chromium through playwright-core.',
    '',
    '```',
    ...lines,
    '```',
    '',
    `| figure | value | target |`,
    `|---|---|---|`,
    `| time to interactive, median | ${fig.ttiMedian} ms | ≤ 1000 ms |`,
    `| JS shipped (gzip) | ${fig.jsKb} KB | ≤ 300 KB |`,
    `| 我的待办 interactive, ${fig.todoRows} open leads, median | ${fig.todoMedian} ms | ≤ 1000 ms |`,
    '',
  ].join('\n');
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n';
  const start = text.indexOf('## bench:sidebar');
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 5);
    text = text.slice(0, start) + section + (next >= 0 ? `\n${text.slice(next + 1)}` : '');
  } else {
    text = `${text.trimEnd()}\n\n${section}`;
  }
  fs.writeFileSync(file, text);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
