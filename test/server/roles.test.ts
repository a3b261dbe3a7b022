import { afterAll, beforeAll, expect, it } from 'vitest';
import { Company } from '../../server/src/companies/company.entity';
import { User } from '../../server/src/users/user.entity';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';

describeEachDb('role rules and tenancy', (kind) => {
  const h = new Harness(kind);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const ownerNames = async (as: string) => {
    const r = await h.req('GET', '/api/leads?pageSize=100', { as });
    expect(r.status).toBe(200);
    return { names: new Set<string>(r.body.items.map((l: any) => l.ownerName)), total: r.body.total as number, items: r.body.items };
  };

  it('refuses /api without a valid token', async () => {
    expect((await h.req('GET', '/api/leads')).status).toBe(401);
    const bad = await h.req('GET', '/api/leads', { token: 'not-a-token' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.message).toMatch(/登录/);
  });

  it('health reports the database kind and the projector of derived state', async () => {
    const r = await h.req('GET', '/healthz');
    expect(r.body).toMatchObject({ status: 'ok', db: kind, projector: { backlog: 0, failing: 0, lastError: null } });
  });

  it('dev-login by role signs in the first active user with that role', async () => {
    const r = await h.req('POST', '/api/auth/dev-login', { body: { role: 'supervisor' } });
    expect(r.status).toBe(200);
    expect(r.body.user.name).toBe('李静');
    const me = await h.req('GET', '/api/me', { token: r.body.token });
    expect(me.body).toMatchObject({ name: '李静', role: 'supervisor', scope: 'team' });
  });

  it('a rep sees only their own leads', async () => {
    const { names, total } = await ownerNames('张敏');
    expect(total).toBeGreaterThan(0);
    expect([...names]).toEqual(['张敏']);
  });

  it("a rep gets 404 for a colleague's lead and cannot edit or follow it up", async () => {
    const { items } = await ownerNames('陈晨');
    const theirs = items[0].id;
    expect((await h.req('GET', `/api/leads/${theirs}`, { as: '张敏' })).status).toBe(404);
    expect((await h.req('PATCH', `/api/leads/${theirs}`, { as: '张敏', body: { name: '改名' } })).status).toBe(404);
    const fu = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId: theirs, action: '已电话沟通', clientRequestId: 'role-test-0001' },
    });
    expect(fu.status).toBe(404);
    expect(await h.count('followup', 'clientRequestId = ?', ['role-test-0001'])).toBe(0);
  });

  it('a supervisor sees their centre subtree and nothing of the other centre', async () => {
    const { names } = await ownerNames('李静');
    expect([...names].every((n) => ['张敏', '陈晨', '刘洋', '赵丽', '孙悦', null].includes(n))).toBe(true);
    expect(names.has('周杰') || names.has('吴昊') || names.has('郑爽')).toBe(false);
    expect(names.size).toBeGreaterThan(2);
  });

  it('ops and director see the whole company', async () => {
    const all = await h.count('lead', 'deletedAt IS NULL');
    expect((await ownerNames('黄蓉')).total).toBe(all);
    expect((await ownerNames('马骏')).total).toBe(all);
  });

  it('only supervisor/admin may change owner or status; a rep gets 403 and nothing changes', async () => {
    const { items } = await ownerNames('张敏');
    const lead = items[0];
    const chen = await h.user('陈晨');
    const r = await h.req('PATCH', `/api/leads/${lead.id}`, { as: '张敏', body: { ownerId: chen.id } });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/主管或管理员/);
    const s = await h.req('PATCH', `/api/leads/${lead.id}`, { as: '张敏', body: { status: 'lost', lostReason: 'x' } });
    expect(s.status).toBe(403);
    const after = await h.req('GET', `/api/leads/${lead.id}`, { as: '张敏' });
    expect(after.body.ownerId).toBe(lead.ownerId);
    expect(after.body.status).toBe(lead.status);
  });

  it('a director reads but cannot edit', async () => {
    const { items } = await ownerNames('马骏');
    const r = await h.req('PATCH', `/api/leads/${items[0].id}`, { as: '马骏', body: { name: '改名' } });
    expect(r.status).toBe(403);
  });

  it('a supervisor reassigns within the subtree (audited) but not across centres', async () => {
    const { items } = await ownerNames('张敏');
    const lead = items[1];
    const chen = await h.user('陈晨');
    const zhou = await h.user('周杰');
    const cross = await h.req('PATCH', `/api/leads/${lead.id}`, { as: '李静', body: { ownerId: zhou.id } });
    expect(cross.status).toBe(403);
    const ok = await h.req('PATCH', `/api/leads/${lead.id}`, { as: '李静', body: { ownerId: chen.id } });
    expect(ok.status).toBe(200);
    expect(ok.body.lead).toMatchObject({ ownerId: chen.id, ownerName: '陈晨', assignedAt: TEST_NOW, claimedAt: null });
    const audit = await h.req('GET', `/api/leads/${lead.id}/audit`, { as: '李静' });
    const row = audit.body.items.find((a: any) => a.field === 'ownerId');
    expect(row).toMatchObject({ entity: 'lead', action: 'update', before: lead.ownerId, after: chen.id, actorId: (await h.user('李静')).id });
    // The old owner no longer sees it; the new one does, with the reassignment on the timeline.
    expect((await h.req('GET', `/api/leads/${lead.id}`, { as: '张敏' })).status).toBe(404);
    const seen = await h.req('GET', `/api/leads/${lead.id}`, { as: '陈晨' });
    expect(seen.body.timeline.some((e: any) => e.kind === 'assigned' && e.text === '分配给 陈晨')).toBe(true);
  });

  it('an inactive rep cannot be assigned, and cannot log in', async () => {
    const qian = await h.user('钱多多');
    const { items } = await ownerNames('王强');
    const r = await h.req('PATCH', `/api/leads/${items[0].id}`, { as: '王强', body: { ownerId: qian.id } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/已停用/);
    expect((await h.req('POST', '/api/auth/dev-login', { body: { userId: qian.id } })).status).toBe(404);
  });

  it('phones are masked for supervisors; revealing one is audited', async () => {
    const { items } = await ownerNames('李静');
    const lead = items[0];
    expect(lead.customer.phone).toMatch(/^1\d{2}\*{4}\d{4}$/);
    expect(lead.customer.phoneMasked).toBe(true);
    const mine = await h.req('GET', `/api/leads/${lead.id}`, { token: await h.token(lead.ownerName) });
    expect(mine.body.customer.phone).toMatch(/^1[3-9]\d{9}$/);
    const before = await h.count('audit_log', "action = 'reveal'");
    const rev = await h.req('POST', `/api/customers/${lead.customerId}/reveal-phone`, { as: '李静' });
    expect(rev.status).toBe(200);
    expect(rev.body.phone).toBe(mine.body.customer.phone);
    expect(await h.count('audit_log', "action = 'reveal' AND entityId = ?", [lead.customerId])).toBe(before + 1);
  });

  it("no one sees another company's data", async () => {
    const other = await h.ds.transaction(async (em) => {
      const c = em.create(Company, { name: '别家公司', settings: {}, createdAt: TEST_NOW });
      await em.insert(Company, c);
      const u = em.create(User, {
        companyId: c.id,
        name: '外人',
        role: 'admin',
        orgUnitId: null,
        managerId: null,
        active: true,
        wecomUserId: null,
        dingtalkUserId: null,
        createdAt: TEST_NOW,
        updatedAt: TEST_NOW,
        deletedAt: null,
      });
      await em.insert(User, u);
      return u;
    });
    const login = await h.req('POST', '/api/auth/dev-login', { body: { userId: other.id } });
    const token = login.body.token;
    const list = await h.req('GET', '/api/leads', { token });
    expect(list.body.total).toBe(0);
    const { items } = await ownerNames('张敏');
    expect((await h.req('GET', `/api/leads/${items[0].id}`, { token })).status).toBe(404);
    const look = await h.req('GET', '/api/customers/lookup?phone=13915441234', { token });
    expect(look.body.customer).toBeNull();
    // Same phone in another company is a different customer, not a clash.
    const made = await h.req('POST', '/api/leads', { token, body: { phone: '13915441234', channel: '自然到访' } });
    expect(made.status).toBe(201);
    expect(made.body.customerCreated).toBe(true);
    expect((await h.req('GET', '/api/users', { token })).body.items.map((u: any) => u.name)).toEqual(['外人']);
  });
});
