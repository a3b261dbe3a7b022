import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../server/src/app';
import { Harness, TEST_CONFIG, describeEachDb, type Res } from '../support/harness';

// Long enough that nothing in this file outlives it: "at once" below never means "after the cache ran out".
const CACHE_MS = 60_000;

/**
 * Two server processes on one database (two `createApp`, each with its own actor cache): an admin's change on A
 * must govern the user's very next write on B, although B still holds the user's actor from before.
 */
describeEachDb('deactivation and demotion take effect at once for writes, across processes', (kind) => {
  const h = new Harness(kind, 5, { authCacheMs: CACHE_MS });
  let b: Server;
  let baseB = '';

  beforeAll(async () => {
    await h.start();
    const other = createApp({ config: { ...TEST_CONFIG, authCacheMs: CACHE_MS }, ds: h.ds, clock: h.clock });
    b = other.koa.listen(0, '127.0.0.1');
    await new Promise<void>((r) => b.once('listening', () => r()));
    baseB = `http://127.0.0.1:${(b.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => b.close(() => r()));
    await h.stop();
  });

  /** The same request as `h.req`, sent to process B. */
  async function onB(method: string, path: string, as: string, body?: unknown): Promise<Res> {
    const headers: Record<string, string> = { authorization: `Bearer ${await h.token(as)}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseB + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers, text };
  }
  const idOf = async (name: string) => (await h.user(name)).id;
  const newLead = (phone: string) => ({ phone, channel: '抖音-202601直播' });

  it("an admin deactivates a rep on A: the rep's next write on B is refused (401), nothing stored", async () => {
    expect((await onB('GET', '/api/leads?owner=me', '刘洋')).status).toBe(200); // B now holds 刘洋's actor
    const created = await onB('POST', '/api/leads', '刘洋', newLead('13915448801'));
    expect(created.status).toBe(201);
    const leadId = created.body.lead.id;

    const off = await h.req('PATCH', `/api/users/${await idOf('刘洋')}`, { as: '系统管理员', body: { active: false } });
    expect(off.status, off.text).toBe(200);
    expect(off.body).toMatchObject({ user: { name: '刘洋', active: false }, changed: ['active'] });
    // The process that made the change refuses everything at once.
    expect((await h.req('GET', '/api/leads?owner=me', { as: '刘洋' })).status).toBe(401);
    // Documented: B may serve a read from the cached actor for up to AUTH_CACHE_MS…
    expect((await onB('GET', '/api/leads?owner=me', '刘洋')).status).toBe(200);

    // …but never a write.
    const leads = await h.count('`lead`');
    const write = await onB('POST', '/api/leads', '刘洋', newLead('13915448802'));
    expect(write.status).toBe(401);
    expect(write.body.error.message).toBe('账号已停用或不存在，请联系管理员');
    const followup = await onB('POST', '/api/followups', '刘洋', {
      leadId,
      action: '已电话沟通',
      conclusion: '已停用还在写',
      clientRequestId: `off-${kind}-01`,
    });
    expect(followup.status).toBe(401);
    expect(await h.count('`lead`')).toBe(leads);
    expect(await h.count('followup', 'authorId = ?', [await idOf('刘洋')])).toBe(0);
    // Having seen the change, B drops the cached actor: reads are refused from then on too.
    expect((await onB('GET', '/api/leads?owner=me', '刘洋')).status).toBe(401);

    // The change is audited; re-activating lets the rep write again at once, on B too.
    expect(await h.count('audit_log', "entity = 'app_user' AND action = 'update' AND field = 'active' AND entityId = ?", [await idOf('刘洋')])).toBe(1);
    expect((await h.req('PATCH', `/api/users/${await idOf('刘洋')}`, { as: '系统管理员', body: { active: true } })).status).toBe(200);
    expect((await onB('POST', '/api/leads', '刘洋', newLead('13915448803'))).status).toBe(201);
  });

  it('an admin demotes an ops user to rep on A: on B their next ops-only write is refused (403) with the new role', async () => {
    const body = (code: string) => ({ code, name: '公众号', tag: '公众号-推文' });
    expect((await onB('POST', '/api/intake-channels', '黄蓉', body('gzh-before'))).status).toBe(201); // cached as ops on B
    const demote = await h.req('PATCH', `/api/users/${await idOf('黄蓉')}`, { as: '系统管理员', body: { role: 'rep' } });
    expect(demote.status, demote.text).toBe(200);
    expect(demote.body.user).toMatchObject({ role: 'rep', roleLabel: expect.any(String) });

    const refused = await onB('POST', '/api/intake-channels', '黄蓉', body('gzh-after'));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('只有管理员或运营可以配置接入渠道');
    expect(await h.count('intake_channel', "code = 'gzh-after'")).toBe(0);
    const me = await onB('GET', '/api/me', '黄蓉'); // B rebuilt the actor on the refused write
    expect(me.body.role).toBe('rep');
  });

  it('a settings change on A (score weights) is what the next write on B uses', async () => {
    expect((await onB('POST', '/api/leads', '张敏', newLead('13915448804'))).status).toBe(201); // B caches 张敏 with the old weights
    const g = await h.req('GET', '/api/scoring/weights', { as: '系统管理员' });
    const saved = await h.req('PUT', '/api/scoring/weights', {
      as: '系统管理员',
      body: { weights: [...g.body.weights, { field: 'campaign', value: '寒假班', points: 9 }] },
    });
    expect(saved.status, saved.text).toBe(200);
    const lead = await onB('POST', '/api/leads', '张敏', { ...newLead('13915448805'), campaign: '寒假班' });
    expect(lead.status).toBe(201);
    expect(lead.body.lead.scoreExplained).toContain('寒假班 +9');
  });

  it('intake on B (a channel key, no user) scores with settings changed on A at once', async () => {
    const ch = await h.req('POST', '/api/intake-channels', {
      as: '系统管理员',
      body: { code: 'web-versions', name: '官网表单', tag: '官网-表单', kind: 'api' },
    });
    expect(ch.status, ch.text).toBe(201);
    const intake = async (phone: string) => {
      const res = await fetch(`${baseB}/api/intake/web-versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-intake-key': ch.body.key },
        body: JSON.stringify({ phone, campaign: '暑假班' }),
      });
      return { status: res.status, body: await res.json() };
    };
    const first = await intake('13915448811'); // B caches the company's settings for intake
    expect(first.status).toBe(201);
    const g = await h.req('GET', '/api/scoring/weights', { as: '系统管理员' });
    const saved = await h.req('PUT', '/api/scoring/weights', {
      as: '系统管理员',
      body: { weights: [...g.body.weights, { field: 'campaign', value: '暑假班', points: 7 }] },
    });
    expect(saved.status, saved.text).toBe(200);
    const second = await intake('13915448812');
    expect(second.status).toBe(201);
    expect(second.body.score).toBe(first.body.score + 7);
  });

  it("a user deactivated behind the API's back (a direct database change) is still refused on the next write", async () => {
    const created = await onB('POST', '/api/leads', '赵丽', newLead('13915448806')); // B caches 赵丽's actor
    expect(created.status).toBe(201);
    await h.ds.query("UPDATE app_user SET active = 0 WHERE name = '赵丽'");
    const write = await onB('PATCH', `/api/leads/${created.body.lead.id}`, '赵丽', { name: '停用后改的' });
    expect(write.status, write.text).toBe(401);
    expect(write.body.error.message).toContain('账号已停用');
    const [row] = await h.ds.query('SELECT name FROM customer WHERE id = ?', [created.body.lead.customerId]);
    expect(row.name).not.toBe('停用后改的');
  });

  it('only an admin changes users, within the company; an admin cannot lock themselves out; bad references are 400', async () => {
    const rep = await idOf('孙悦');
    const asSupervisor = await h.req('PATCH', `/api/users/${rep}`, { as: '李静', body: { active: false } });
    expect(asSupervisor.status).toBe(403);
    expect(asSupervisor.body.error.message).toBe('只有管理员可以修改用户的角色、状态和组织');
    const self = await h.req('PATCH', `/api/users/${await idOf('系统管理员')}`, { as: '系统管理员', body: { role: 'rep' } });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toContain('不能停用自己或修改自己的角色');
    expect((await h.req('PATCH', '/api/users/999999', { as: '系统管理员', body: { active: false } })).status).toBe(404);
    const unit = await h.req('PATCH', `/api/users/${rep}`, { as: '系统管理员', body: { orgUnitId: 999999 } });
    expect(unit.status).toBe(400);
    expect(unit.body.error.message).toContain('组织单元不存在');
    const role = await h.req('PATCH', `/api/users/${rep}`, { as: '系统管理员', body: { role: 'boss' } });
    expect(role.status).toBe(400);
    expect(role.body.error.message).toContain('角色只能是');
    expect((await h.req('PATCH', `/api/users/${rep}`, { as: '系统管理员', body: {} })).status).toBe(400);
    expect(await h.count('audit_log', "entity = 'app_user' AND entityId = ?", [rep])).toBe(0);
  });
});
