import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';

const SITE = 'https://www.example-school.com';

describeEachDb('public lead form: hosted page, embed snippet, CORS, rate limit, honeypot, QR', (kind) => {
  const h = new Harness(kind, 0);
  let channelId = 0;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.base}/f/expo-2026`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  beforeAll(async () => {
    await h.start();
    const ch = await h.req('POST', '/api/intake-channels', { as: '系统管理员', body: { code: 'expo-2026', name: '2026教育展', tag: '地推-展会二维码' } });
    channelId = ch.body.id;
    expect(ch.body.form).toEqual({ enabled: false, title: '免费领取学习规划', allowedOrigins: [] });
  });
  afterAll(() => h.stop());

  it('is off until the admin switches it on; then the page, the snippet and the QR code are served', async () => {
    expect((await fetch(`${h.base}/f/expo-2026`)).status).toBe(404);
    expect((await post({ phone: '13915449101' })).status).toBe(404);
    expect((await h.req('GET', `/api/intake-channels/${channelId}/form-qr`, { as: '系统管理员' })).status).toBe(409);
    const on = await h.req('PATCH', `/api/intake-channels/${channelId}`, {
      as: '系统管理员',
      body: { form: { enabled: true, title: '展会预约 · 免费测评', allowedOrigins: [`${SITE}/`] } },
    });
    expect(on.status).toBe(200);
    expect(on.body.form).toEqual({ enabled: true, title: '展会预约 · 免费测评', allowedOrigins: [SITE] });
    const page = await fetch(`${h.base}/f/expo-2026`);
    const html = await page.text();
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('<title>展会预约 · 免费测评</title>');
    expect(html).toContain('"endpoint":"/f/expo-2026"');
    expect(html.length).toBeLessThan(12_000); // light on a phone: no framework
    const js = await (await fetch(`${h.base}/f/expo-2026/embed.js`)).text();
    expect(js).toContain(`"endpoint":"${h.base}/f/expo-2026"`);
    const qr = await h.req('GET', `/api/intake-channels/${channelId}/form-qr`, { as: '黄蓉' });
    expect(qr.body.url).toBe('http://127.0.0.1/f/expo-2026');
    expect(qr.body.png).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect((await h.req('GET', `/api/intake-channels/${channelId}/form-qr`, { as: '张敏' })).status).toBe(403);
  });

  it('a submission from the hosted page or an allowed site becomes a lead tagged with the channel; others are refused', async () => {
    const before = await h.count('`lead`');
    const r = await post(
      { phone: '139 1544 9102', name: '展会家长', grade: '初三', concerns: ['升学政策'], campaign: '2026春季展', website: '' },
      { origin: h.base },
    );
    expect(r.status).toBe(201);
    expect(await r.json()).toEqual({ ok: true }); // nothing about the lead or its owner goes back to the public
    const [lead] = await h.ds.query('SELECT l.channel, l.campaign, c.name, c.grade FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.phone = ?', [
      '13915449102',
    ]);
    expect(lead).toEqual({ channel: '地推-展会二维码', campaign: '2026春季展', name: '展会家长', grade: '初三' });
    const pre = await fetch(`${h.base}/f/expo-2026`, { method: 'OPTIONS', headers: { origin: SITE, 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(SITE);
    const cross = await post({ phone: '13915449103' }, { origin: SITE });
    expect(cross.status).toBe(201);
    expect(cross.headers.get('access-control-allow-origin')).toBe(SITE);
    const evil = await post({ phone: '13915449104' }, { origin: 'https://evil.example.net' });
    expect(evil.status).toBe(403);
    expect((await fetch(`${h.base}/f/expo-2026`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.net' } })).status).toBe(403);
    expect(await h.count('`lead`')).toBe(before + 2);
  });

  it('a filled honeypot is thanked and dropped; a bad phone is refused with the reason; floods get 429', async () => {
    const before = await h.count('`lead`');
    const bot = await post({ phone: '13915449105', website: 'http://spam.example' }, { origin: h.base });
    expect(bot.status).toBe(201);
    const bad = await post({ phone: '1391544' }, { origin: h.base });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('手机号');
    expect(await h.count('`lead`')).toBe(before);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await post({ phone: `1391544920${i % 10}` }, { origin: h.base })).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await post({ phone: '13915449299' }, { origin: h.base });
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.message).toBe('提交太频繁，请一分钟后再试');
    h.clock.advance(61_000);
    expect((await post({ phone: '13915449299' }, { origin: h.base })).status).toBe(201);
  });
});
