import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';

describeEachDb('设置 · 词表 (GET/PUT /api/settings/vocabulary)', (kind) => {
  const h = new Harness(kind, 20);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('shows each item with how many records use it', async () => {
    const r = await h.req('GET', '/api/settings/vocabulary', { as: '黄蓉' });
    expect(r.status).toBe(200);
    const rows: { action: string; n: number }[] = await h.ds.query('SELECT action, COUNT(*) AS n FROM followup WHERE deletedAt IS NULL GROUP BY action');
    for (const row of rows) expect(r.body.usage.actionTags[row.action]).toBe(Number(row.n));
    expect(r.body.actionTags).toContain('已签约');
    expect(r.body.courses[0]).toMatchObject({ name: '中考升学规划营', concern: '升学政策', price: 6800 });
    const [budget] = await h.ds.query("SELECT COUNT(*) AS n FROM followup WHERE deletedAt IS NULL AND conclusion LIKE '%预算有限%'");
    expect(r.body.usage.quickPhrases['预算有限']).toBe(Number(budget.n));
    // The tag library: how many customers each mapped tag reaches.
    const items = (await h.req('GET', '/api/content/items', { as: '黄蓉' })).body.items as { tag: string }[];
    expect(items.length).toBeGreaterThan(0);
    const customers: { tags: string }[] = await h.ds.query('SELECT tags FROM customer WHERE deletedAt IS NULL');
    for (const { tag } of items) {
      expect(r.body.usage.contentTags[tag], tag).toBe(customers.filter((c) => (JSON.parse(c.tags ?? '[]') as string[]).includes(tag)).length);
    }
  });

  it('an admin changes quick phrases and action tags: audited, offered at once, old records keep their words', async () => {
    const before = (await h.req('GET', '/api/settings/vocabulary', { as: '系统管理员' })).body;
    const tags = [...before.actionTags.filter((t: string) => t !== '已预约试听'), '已上门拜访'];
    const body = { actionTags: tags, quickPhrases: ['预算有限', '想先试听'] };
    // '已预约试听' is on stored follow-ups: the change needs an explicit yes, and without it nothing is saved.
    const inUse = Number((await h.ds.query("SELECT COUNT(*) AS n FROM followup WHERE action = '已预约试听' AND deletedAt IS NULL"))[0].n);
    expect(inUse).toBeGreaterThan(0);
    const asked = await h.req('PUT', '/api/settings/vocabulary', { as: '系统管理员', body });
    expect(asked.status).toBe(409);
    expect(asked.body.error).toMatchObject({ code: 'confirm_required', details: { impacts: [{ count: inUse }] } });
    expect(asked.body.error.message).toContain(`使用被移除跟进动作（已预约试听）的跟进记录 ${inUse} 条`);
    expect((await h.req('GET', '/api/settings/vocabulary', { as: '系统管理员' })).body.actionTags).toEqual(before.actionTags);
    const r = await h.req('PUT', '/api/settings/vocabulary', { as: '系统管理员', body: { ...body, confirm: true } });
    expect(r.status, r.text).toBe(200);
    expect(Number((await h.ds.query("SELECT COUNT(*) AS n FROM followup WHERE action = '已预约试听' AND deletedAt IS NULL"))[0].n)).toBe(inUse); // kept
    expect(r.body.changed.sort()).toEqual(['actionTags', 'quickPhrases']);
    expect(r.body.reprojected).toBe(0);
    expect(await h.count('audit_log', "entity = 'company' AND field IN ('actionTags', 'quickPhrases')")).toBe(2);
    const meta = (await h.req('GET', '/api/meta', { as: '张敏' })).body;
    expect(meta.actionTags).toEqual(tags);
    expect(meta.quickPhrases).toEqual(['预算有限', '想先试听']);
    const lead = (await h.req('GET', '/api/leads?owner=me', { as: '张敏' })).body.items[0].id;
    const refused = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'idempotency-key': 'vocab-key-1' },
      body: { leadId: lead, action: '已预约试听' },
    });
    expect(refused.status).toBe(400);
    const ok = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'idempotency-key': 'vocab-key-2' },
      body: { leadId: lead, action: '已上门拜访' },
    });
    expect(ok.status).toBe(201);
  });

  it('a change to required profile fields re-projects every lead: profile completeness follows at once', async () => {
    const asked = await h.req('PUT', '/api/settings/vocabulary', { as: '系统管理员', body: { requiredProfileFields: ['name', 'city'] } });
    expect(asked.status).toBe(409);
    expect(asked.body.error.details.impacts[0]).toMatchObject({
      what: '资料完整度按新的必填项重新计算的客户',
      count: await h.count('customer', 'deletedAt IS NULL'),
    });
    const r = await h.req('PUT', '/api/settings/vocabulary', { as: '系统管理员', body: { requiredProfileFields: ['name', 'city'], confirm: true } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.reprojected).toBe(await h.count('`lead`'));
    await h.settle();
    const [{ n }] = await h.ds.query('SELECT COUNT(*) AS n FROM lead_fact WHERE profileRequired <> 2');
    expect(Number(n)).toBe(0);
  });

  it('refuses what would break the product, with the reason, and changes nothing', async () => {
    const before = (await h.req('GET', '/api/settings/vocabulary', { as: '系统管理员' })).body;
    const cases: [unknown, RegExp][] = [
      [{ actionTags: ['已电话沟通'] }, /「已签约」不能删除/],
      [
        {
          courses: [
            { name: 'A', concern: '学科提分' },
            { name: 'A', concern: '升学政策' },
          ],
        },
        /课程名称不能重复/,
      ],
      [{ courses: [{ name: 'A', concern: '钢琴' }] }, /关注点只能是/],
      [{ requiredProfileFields: ['phone'] }, /资料项只能是/],
      [{}, /没有要修改的内容/],
    ];
    for (const [body, message] of cases) {
      const r = await h.req('PUT', '/api/settings/vocabulary', { as: '系统管理员', body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
    expect((await h.req('PUT', '/api/settings/vocabulary', { as: '黄蓉', body: { supervisorCanExport: true } })).status).toBe(403);
    expect((await h.req('GET', '/api/settings/vocabulary', { as: '系统管理员' })).body).toEqual(before);
  });
});
