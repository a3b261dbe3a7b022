import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROLES, type Role } from '@lifeline/shared';
import { README_ROLES_END, README_ROLES_START, rolesMarkdown } from '../../server/src/auth/permissions';
import { ROUTE_DOCS } from '../../server/src/openapi/routes';
import { describeEachDb, Harness } from '../support/harness';

const ALL = ROLES;
const MANAGERS: Role[] = ['supervisor', 'ops', 'director', 'admin'];

/**
 * README's role rules as a table: every authenticated route × every role → may call it (true) or gets 403.
 * Written by hand from README ("Roles", the API tables), not from the code's table, so a change to either shows.
 * A new route without an entry here fails the test.
 */
const EXPECTED: Record<string, readonly Role[]> = {
  'GET /api/me': ALL,
  'GET /api/users': ALL,
  'GET /api/todo': ALL,
  'GET /api/history/:entity/:id': ['supervisor', 'ops', 'director', 'admin'],
  'POST /api/undo': ['admin'],
  'GET /api/data-health/:key': ['ops', 'admin'],
  'GET /api/snapshots': ['admin'],
  'GET /api/event-sources': ['ops', 'admin'],
  'POST /api/event-sources': ['admin'],
  'PATCH /api/event-sources/:id': ['admin'],
  'GET /api/inbound-events': ['ops', 'admin'],
  'POST /api/inbound-events/:id/resolve': ['ops', 'admin'],
  'POST /api/inbound-events/:id/dismiss': ['ops', 'admin'],
  'GET /api/webhooks': ['admin'],
  'GET /api/partners': ['admin'],
  'GET /api/consistency/runs': ['ops', 'admin'],
  'POST /api/consistency/runs': ['ops', 'admin'],
  'GET /api/consistency/runs/:id': ['ops', 'admin'],
  'POST /api/consistency/upload': ['ops', 'admin'],
  'POST /api/partners': ['admin'],
  'PATCH /api/partners/:id': ['admin'],
  'GET /api/partner-referrals': ['supervisor', 'ops', 'admin'],
  'POST /api/partner-referrals/:id/approve': ['supervisor', 'ops', 'admin'],
  'POST /api/partner-referrals/:id/reject': ['supervisor', 'ops', 'admin'],
  'GET /api/intake-channels/:id/form-qr': ['ops', 'admin'],
  'POST /api/webhooks': ['admin'],
  'PATCH /api/webhooks/:id': ['admin'],
  'DELETE /api/webhooks/:id': ['admin'],
  'GET /api/webhooks/:id/deliveries': ['admin'],
  'POST /api/webhooks/:id/deliveries/:deliveryId/replay': ['admin'],
  'POST /api/webhooks/:id/ping': ['admin'],
  'POST /api/snapshots': ['admin'],
  'POST /api/snapshots/:id/restore': ['admin'],
  'POST /api/customers/merge': ['admin'],
  'GET /api/settings/data-safety': ['ops', 'admin'],
  'PUT /api/settings/data-safety': ['admin'],
  'GET /api/settings/vocabulary': ['ops', 'director', 'admin'],
  'PUT /api/settings/vocabulary': ['admin'],
  // Supervisors only for routing cap and shifts of their subtree's reps (the service refuses the rest, deactivation.test.ts).
  'PATCH /api/users/:id': ['supervisor', 'admin'],
  'GET /api/users/:id': MANAGERS,
  'POST /api/users/:id/reassign': ['admin'],
  'GET /api/users/transfers': ['admin'],
  'POST /api/users/transfers/retry': ['admin'],
  'GET /api/data-health': ['ops', 'admin'],
  'POST /api/directory/sync': ['admin'],
  'GET /api/directory/sync': ['admin'],
  'GET /api/directory/sync/:id': ['admin'],
  'POST /api/directory/sync/:id/apply': ['admin'],
  'POST /api/directory/sync/:id/cancel': ['admin'],
  'GET /api/directory/events': ['admin'],
  'GET /api/directory/settings': ['admin'],
  'PUT /api/directory/settings': ['admin'],
  'POST /api/users/:id/sign-in-link': ['admin'],
  'GET /api/onboarding/checklist': ['admin'],
  'POST /api/onboarding/confirm': ['admin'],
  'POST /api/onboarding/test-alarm': ['admin'],
  'GET /api/org-units': ALL,
  'GET /api/meta': ALL,
  'GET /api/customers/lookup': ALL,
  'GET /api/customers/:id': ALL,
  'POST /api/customers/:id/reveal-phone': MANAGERS,
  'DELETE /api/customers/:id': ['admin'],
  'POST /api/customers/:id/restore': ['admin'],
  'POST /api/leads': ['rep', 'supervisor', 'ops', 'admin'],
  'GET /api/leads': ALL,
  'GET /api/leads/:id': ALL,
  'PATCH /api/leads/:id': ['rep', 'supervisor', 'admin'],
  'POST /api/leads/:id/claim': ['rep', 'supervisor'],
  'DELETE /api/leads/:id': ['supervisor', 'admin'],
  'POST /api/leads/:id/restore': ['supervisor', 'admin'],
  'GET /api/leads/:id/timeline': ALL,
  'GET /api/leads/:id/followups': ALL,
  'GET /api/leads/:id/audit': ALL,
  'GET /api/leads/:id/routing': ALL,
  'GET /api/leads/:id/signals': ALL,
  'GET /api/signals/settings': ALL,
  'GET /api/leaderboard': ALL,
  'GET /api/alarms/miss-model': ['supervisor', 'ops', 'director', 'admin'],
  'POST /api/alarms/miss-model/learn': ['admin'],
  'GET /api/reviews/field-lift': ['ops', 'director', 'admin'],
  'POST /api/reviews/field-lift/accept': ['admin'],
  'GET /api/leaderboard/entries': ALL,
  'PUT /api/leaderboard/settings': ['admin'],
  'PUT /api/signals/settings': ['admin'],
  'GET /api/leads/:id/intake': ALL,
  'POST /api/followups': ['rep', 'supervisor', 'admin'],
  'DELETE /api/followups/:id': ['rep', 'supervisor', 'admin'],
  'POST /api/followups/:id/restore': ['rep', 'supervisor', 'admin'],
  'GET /api/wecom/jsapi-signature': ALL,
  'GET /api/wecom/external-contact/:externalUserId': ALL,
  'POST /api/sidebar/voice-draft': ALL,
  'POST /api/sidebar/voice': ALL,
  'GET /api/routing/rules': ALL,
  'GET /api/routing/rules/:version': ALL,
  'PUT /api/routing/rules': ['admin'],
  'GET /api/routing/experiments': ['supervisor', 'ops', 'director', 'admin'],
  'GET /api/routing/experiments/:id': ['supervisor', 'ops', 'director', 'admin'],
  'POST /api/routing/experiments/:id/stop': ['admin'],
  'GET /api/routing/pools': ALL,
  'POST /api/routing/pools': ['admin'],
  'PUT /api/routing/pools/:id': ['admin'],
  'POST /api/routing/dry-run': ALL,
  'GET /api/routing/queue': MANAGERS,
  'POST /api/routing/queue/:id/assign': ['supervisor', 'admin'],
  'GET /api/scoring/weights': ALL,
  'PUT /api/scoring/weights': ['admin'],
  'POST /api/scoring/recompute': ['admin'],
  'POST /api/scoring/preview': ['admin'],
  'GET /api/intake-channels': ['ops', 'admin'],
  'POST /api/intake-channels': ['ops', 'admin'],
  'PATCH /api/intake-channels/:id': ['ops', 'admin'],
  'POST /api/imports': ['supervisor', 'ops', 'admin'],
  'GET /api/imports': ALL,
  'GET /api/imports/:id': ALL,
  'GET /api/customers/:id/content-queue': ALL,
  'POST /api/content-queue/:id/sent': ['rep', 'supervisor', 'admin'],
  'GET /api/content/items': ALL,
  'POST /api/content/items': ['ops', 'admin'],
  'DELETE /api/content/items/:id': ['ops', 'admin'],
  'GET /api/script-picks': ALL,
  'POST /api/script-picks/:id/sent': ALL,
  'GET /api/scripts': ALL,
  'POST /api/scripts': ['ops', 'director', 'admin'],
  'PATCH /api/scripts/:id': ['ops', 'director', 'admin'],
  'DELETE /api/scripts/:id': ['ops', 'director', 'admin'],
  'POST /api/scripts/:id/restore': ['ops', 'director', 'admin'],
  'GET /api/alarms/settings': MANAGERS,
  'PUT /api/alarms/settings': ['admin'],
  'GET /api/metrics/kpis': ALL,
  'GET /api/metrics/lead-health': ALL,
  'GET /api/metrics/rep-battle': MANAGERS,
  'GET /api/metrics/channel-roi': MANAGERS,
  'GET /api/metrics/journey-heat': MANAGERS,
  'GET /api/metrics/drill': MANAGERS,
  'GET /api/metrics/team-insights': MANAGERS,
  // Supervisors too when the company sets supervisorCanExport (checked below).
  'GET /api/metrics/export': ['ops', 'director', 'admin'],
  'PUT /api/metrics/channel-spend': ['ops', 'director', 'admin'],
  // Only a rep reports a chat, and only with their own customer (the entry-rate KPI counts them).
  'POST /api/conversations': ['rep'],
};

const USER_OF: Record<Role, string> = { rep: '张敏', supervisor: '李静', ops: '黄蓉', director: '马骏', admin: '系统管理员' };

/** Routes a 渠道商 calls with its own key (X-Partner-Key): 401 without it, but no person's role applies. */
const PARTNER_KEY_ROUTES = ['POST /api/partner/leads', 'GET /api/partner/leads'];

describeEachDb('role table: every route × every role', (kind) => {
  const h = new Harness(kind, 10);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  // Ids nobody has: an allowed role gets 400/404 (never 403), a denied one the guard's 403 before anything is read.
  const call = (route: string, opts: { as?: string } = {}) => {
    const [method, path] = route.split(' ');
    const url = path.replace(/:[A-Za-z]+/g, '999999');
    return h.req(method, url, { ...opts, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
  };

  it('lists exactly the authenticated routes of the app', async () => {
    const authenticated: string[] = [];
    for (const route of h.routes()) {
      if (!route.split(' ')[1].startsWith('/api/')) continue;
      if (PARTNER_KEY_ROUTES.includes(route)) continue; // the partner API's own key, not a session (partners.test.ts)
      if ((await call(route)).status === 401) authenticated.push(route);
    }
    expect(authenticated.length).toBeGreaterThan(60);
    expect(
      authenticated.filter((r) => !(r in EXPECTED)),
      'routes missing from the role table',
    ).toEqual([]);
    expect(
      Object.keys(EXPECTED).filter((r) => !authenticated.includes(r)),
      'table rows for routes that do not exist',
    ).toEqual([]);
  });

  it('the API reference (/api/docs, OpenAPI x-roles) says the same as this table', () => {
    const documented = new Map(ROUTE_DOCS.map((d) => [`${d.method.toUpperCase()} ${d.path.replace(/\{(\w+)\}/g, ':$1')}`, d.roles]));
    const wrong = Object.entries(EXPECTED).flatMap(([route, allowed]) => {
      const roles = documented.get(route);
      const said = roles === 'signed-in' ? [...ALL] : roles === 'anyone' || roles === undefined ? [] : [...roles];
      return [...said].sort().join() === [...allowed].sort().join() ? [] : [`${route}: documented ${String(roles)}, table ${allowed.join()}`];
    });
    expect(wrong).toEqual([]);
  });

  it('answers 403 exactly where the table says deny, for every role', async () => {
    const wrong: string[] = [];
    for (const [route, allowed] of Object.entries(EXPECTED)) {
      for (const role of ROLES) {
        const r = await call(route, { as: USER_OF[role] });
        const denied = r.status === 403;
        if (r.status === 401 || denied === allowed.includes(role)) wrong.push(`${route} as ${role}: ${r.status} ${r.text.slice(0, 80)}`);
        if (denied) expect(r.body.error, route).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/[\u4e00-\u9fa5]/) });
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets supervisors export once the company allows it', async () => {
    const companyId = h.seed.companyId;
    const set = async (settings: object) => {
      await h.ds.query('UPDATE company SET settings = ? WHERE id = ?', [JSON.stringify(settings), companyId]);
      h.app.actors.clear();
    };
    expect((await h.req('GET', '/api/me', { as: '李静' })).body.canExport).toBe(false);
    await set({ supervisorCanExport: true });
    try {
      expect((await h.req('GET', '/api/me', { as: '李静' })).body.canExport).toBe(true);
      expect((await call('GET /api/metrics/export', { as: '李静' })).status).toBe(400);
      expect((await call('GET /api/metrics/export', { as: '张敏' })).status).toBe(403);
    } finally {
      await set({});
    }
  });

  it('reveal-phone is refused to a rep even though reps see phones; a manager reveals one, audited', async () => {
    const lead = (await h.req('GET', '/api/leads?pageSize=1', { as: '张敏' })).body.items[0];
    const before = await h.count('audit_log', "action = 'reveal'");
    const rep = await h.req('POST', `/api/customers/${lead.customerId}/reveal-phone`, { as: '张敏' });
    expect(rep.status).toBe(403);
    expect(rep.body.error.message).toBe('你的角色不能查看完整手机号');
    expect(await h.count('audit_log', "action = 'reveal'")).toBe(before);
    const sup = await h.req('POST', `/api/customers/${lead.customerId}/reveal-phone`, { as: '李静' });
    expect(sup.status).toBe(200);
    expect(sup.body.phone).toBe(lead.customer.phone);
    expect(await h.count('audit_log', "action = 'reveal'")).toBe(before + 1);
  });

  it('marking content sent: ops and the director (read-only on leads) are refused and nothing changes; the rep may', async () => {
    const mine = (await h.req('GET', '/api/leads?owner=me&pageSize=1', { as: '张敏' })).body.items[0];
    expect(
      (await h.req('POST', '/api/content/items', { as: '系统管理员', body: { tag: '发送权限', title: '发送权限资料', url: 'https://example.com/send' } }))
        .status,
    ).toBe(201);
    expect((await h.req('PATCH', `/api/leads/${mine.id}`, { as: '张敏', body: { tags: ['发送权限'] } })).status).toBe(200);
    const [item] = await h.ds.query(
      "SELECT id, status, sentAt, sentBy FROM content_queue WHERE customerId = ? AND status = 'queued' ORDER BY id DESC LIMIT 1",
      [mine.customerId],
    );
    expect(item, "a queued item for one of 张敏's customers").toBeTruthy();
    const audits = await h.count('audit_log');
    for (const as of ['黄蓉', '马骏']) {
      const r = await h.req('POST', `/api/content-queue/${item.id}/sent`, { as });
      expect({ as, status: r.status }).toEqual({ as, status: 403 });
      expect(r.body.error.message).toBe('只有顾问、主管或管理员可以标记资料已发送');
      // The sidebar is told, so it does not offer the link (meta.canSendContent).
      expect((await h.req('GET', '/api/meta', { as })).body.canSendContent).toBe(false);
    }
    expect((await h.req('GET', '/api/meta', { as: '张敏' })).body.canSendContent).toBe(true);
    expect((await h.ds.query('SELECT id, status, sentAt, sentBy FROM content_queue WHERE id = ?', [item.id]))[0]).toEqual(item);
    expect(await h.count('audit_log')).toBe(audits);
    const ok = await h.req('POST', `/api/content-queue/${item.id}/sent`, { as: '张敏' });
    expect(ok.status).toBe(200);
    expect(ok.body.alreadySent).toBe(false);
  });

  it('conversations: a rep only for their own customer; other roles are refused; nothing is counted', async () => {
    const mine = (await h.req('GET', '/api/leads?pageSize=1', { as: '张敏' })).body.items[0];
    const theirs = (await h.req('GET', '/api/leads?pageSize=1', { as: '陈晨' })).body.items[0];
    const before = await h.count('conversation');
    const other = await h.req('POST', '/api/conversations', { as: '张敏', body: { customerId: theirs.customerId, source: 'wecom' } });
    expect(other.status).toBe(404);
    for (const as of ['李静', '黄蓉', '马骏', '系统管理员']) {
      expect((await h.req('POST', '/api/conversations', { as, body: { customerId: mine.customerId, source: 'wecom' } })).status, as).toBe(403);
    }
    expect(await h.count('conversation')).toBe(before);
    const ok = await h.req('POST', '/api/conversations', { as: '张敏', body: { customerId: mine.customerId, source: 'wecom' } });
    expect(ok.status).toBe(200);
    expect(await h.count('conversation')).toBe(before + 1);
  });
});

it("README's role table and masking rule are the code's (regenerate with npm run docs:roles)", () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf(README_ROLES_START);
  const end = readme.indexOf(README_ROLES_END);
  expect(start, 'README lacks the generated roles section').toBeGreaterThan(-1);
  expect(readme.slice(start, end + README_ROLES_END.length)).toBe(rolesMarkdown());
});
