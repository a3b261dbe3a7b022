import { afterAll, beforeAll, expect, it } from 'vitest';
import { Harness, describeEachDb } from '../support/harness';

// Production reuses a signed-in actor for AUTH_CACHE_MS; these are the promises that cache must keep.
describeEachDb('signed-in actor cache (AUTH_CACHE_MS)', (kind) => {
  const h = new Harness(kind, 5, { authCacheMs: 300 });
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('a deactivated user is refused once the cache time has passed, and never later than that', async () => {
    expect((await h.req('GET', '/api/me', { as: '陈晨' })).status).toBe(200);
    await h.app.ds.query("UPDATE app_user SET active = 0 WHERE name = '陈晨'");
    await new Promise((r) => setTimeout(r, 350));
    const refused = await h.req('GET', '/api/me', { as: '陈晨' });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain('账号已停用');
  });

  it('a settings change made through the API applies to the very next request of every signed-in user', async () => {
    expect((await h.req('GET', '/api/scoring/weights', { as: '张敏' })).body.levelA).toBe(60);
    const g = await h.req('GET', '/api/scoring/weights', { as: '系统管理员' });
    expect((await h.req('PUT', '/api/scoring/weights', { as: '系统管理员', body: { weights: g.body.weights, levelA: 70, confirm: true } })).status).toBe(200);
    expect((await h.req('GET', '/api/scoring/weights', { as: '张敏' })).body.levelA).toBe(70);
  });

  it('a forged or expired token is still refused while a valid one is cached', async () => {
    expect((await h.req('GET', '/api/me', { as: '张敏' })).status).toBe(200);
    const token = await h.token('张敏');
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await h.req('GET', '/api/me', { token: forged })).status).toBe(401);
  });
});
