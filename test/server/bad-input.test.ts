import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { Audit } from '../../server/src/audit/audit.service';
import { attachCustomer } from '../../server/src/customers/customer.service';
import { Customer } from '../../server/src/customers/customer.entity';

/** Every bad request: a 4xx, a message a person can act on, no stack trace, and nothing written. */
describeEachDb('bad input is refused cleanly and changes nothing', (kind) => {
  const h = new Harness(kind, 20);
  let leadId: number;
  let snapshot: () => Promise<number[]>;
  beforeAll(async () => {
    await h.start();
    leadId = (await h.req('GET', '/api/leads?owner=me&pageSize=1', { as: '张敏' })).body.items[0].id;
    snapshot = async () => Promise.all(['customer', 'lead', 'followup', 'journey_event', 'audit_log'].map((t) => h.count(t)));
  });
  afterAll(() => h.stop());

  const expectClean = (r: { status: number; body: any; text: string }, status: number, message: RegExp) => {
    expect(r.status).toBe(status);
    expect(r.body.error.message).toMatch(message);
    expect(r.text).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/); // no stack trace
  };

  it.each([
    ['too short', '1381454000', /手机号应为11位数字，当前为10位/],
    ['bad prefix', '12345678901', /应以13-19开头/],
    ['letters', '138abc45678', /只能包含数字/],
    ['empty', '', /请输入手机号/],
  ])('invalid phone (%s) on lead create', async (_label, phone, message) => {
    const before = await snapshot();
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone, channel: '抖音-202601直播' } });
    expectClean(r, 400, message);
    expect(r.body.error.message.startsWith('手机号：')).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it('conclusion over 100 characters (counted as characters, not bytes)', async () => {
    const before = await snapshot();
    const ok = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', conclusion: '好'.repeat(100), clientRequestId: `bad-${kind}-100` },
    });
    expect(ok.status).toBe(201);
    const r = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', conclusion: '好'.repeat(101), clientRequestId: `bad-${kind}-101` },
    });
    expectClean(r, 400, /关键结论：关键结论最多100个字/);
    const after = await snapshot();
    expect(after[2]).toBe(before[2] + 1); // only the valid one
  });

  it('unknown action tag', async () => {
    const before = await snapshot();
    const r = await h.req('POST', '/api/followups', { as: '张敏', body: { leadId, action: '吃饭了', clientRequestId: `bad-${kind}-act` } });
    expectClean(r, 400, /未知的跟进动作「吃饭了」/);
    expect(await snapshot()).toEqual(before);
  });

  it('unknown fields and wrong types name the field in Chinese', async () => {
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814549999', channel: '抖音', hacker: 1 } });
    expectClean(r, 400, /不支持的字段：hacker/);
    const t = await h.req('POST', '/api/followups', { as: '张敏', body: { leadId: 'abc', action: '已电话沟通', clientRequestId: `bad-${kind}-t` } });
    expectClean(t, 400, /^线索：/);
    const d = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', nextStep: { at: '下周三', action: '回访' }, clientRequestId: `bad-${kind}-d` },
    });
    expectClean(d, 400, /下一步时间：时间格式不正确/);
  });

  it('malformed JSON', async () => {
    const before = await snapshot();
    const r = await h.req('POST', '/api/leads', { as: '张敏', raw: '{"phone": "13814549999", "channel": ' });
    expectClean(r, 400, /不是合法的 JSON/);
    expect(r.body.error.code).toBe('malformed_json');
    expect(await snapshot()).toEqual(before);
  });

  it('a body over the limit gets 413', async () => {
    const r = await h.req('POST', '/api/leads', {
      as: '张敏',
      raw: JSON.stringify({ phone: '13814549999', channel: 'x', name: 'y'.repeat(100_000) }),
    });
    expectClean(r, 413, /请求内容过大/);
  });

  it('a non-JSON body gets 415', async () => {
    const r = await h.req('POST', '/api/leads', { as: '张敏', raw: 'phone=13814549999', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectClean(r, 415, /必须是 JSON/);
  });

  it('unknown ids get 404; malformed ids get 400; unknown routes get 404', async () => {
    expectClean(await h.req('GET', '/api/leads/999999', { as: '黄蓉' }), 404, /线索不存在/);
    expectClean(await h.req('PATCH', '/api/leads/999999', { as: '系统管理员', body: { name: 'x' } }), 404, /线索不存在/);
    expectClean(await h.req('DELETE', '/api/followups/999999', { as: '系统管理员' }), 404, /跟进记录不存在/);
    expectClean(await h.req('GET', '/api/customers/999999', { as: '系统管理员' }), 404, /客户不存在/);
    expectClean(
      await h.req('POST', '/api/followups', { as: '张敏', body: { leadId: 999999, action: '已电话沟通', clientRequestId: `bad-${kind}-404` } }),
      404,
      /线索不存在/,
    );
    expectClean(await h.req('GET', '/api/leads/abc', { as: '黄蓉' }), 400, /ID 必须是数字/);
    expectClean(await h.req('GET', '/api/nothing-here', { as: '黄蓉' }), 404, /接口不存在/);
  });

  it('forbidden actions get 403 and change nothing', async () => {
    const before = await snapshot();
    expectClean(await h.req('DELETE', `/api/leads/${leadId}`, { as: '张敏' }), 403, /只有主管或管理员/);
    expectClean(await h.req('POST', '/api/leads', { as: '马骏', body: { phone: '13814549999', channel: 'x' } }), 403, /只读/);
    const other = await h.user('陈晨');
    expectClean(
      await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814549999', channel: 'x', ownerId: other.id } }),
      403,
      /只能把线索分配给自己/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it('bad query parameters get 400', async () => {
    expectClean(await h.req('GET', '/api/leads?pageSize=1000', { as: '黄蓉' }), 400, /每页最多100条/);
    expectClean(await h.req('GET', '/api/leads?status=whatever', { as: '黄蓉' }), 400, /状态只能是/);
    expectClean(await h.req('GET', '/api/leads?overdue=maybe', { as: '黄蓉' }), 400, /true 或 false/);
    expectClean(await h.req('GET', '/api/customers/lookup', { as: '黄蓉' }), 400, /phone/);
  });

  it('an invalid owner refuses the whole lead, customer included', async () => {
    const before = await snapshot();
    const r = await h.req('POST', '/api/leads', { as: '李静', body: { phone: '13814548888', channel: 'x', ownerId: 999999 } });
    expectClean(r, 400, /负责人不存在/);
    expect(await snapshot()).toEqual(before);
    expect(await h.count('customer', 'phone = ?', ['13814548888'])).toBe(0);
  });

  it('a failure midway through a transaction rolls back what it already wrote', async () => {
    const before = await snapshot();
    await expect(
      h.app.tx.run(async (em) => {
        const a = new Audit(em, { companyId: 1, actorId: null, at: Date.now() });
        await attachCustomer(em, a, h.app.attribution, 1, null, { phone: '13814547777' }, Date.now());
        expect(await em.getRepository(Customer).countBy({ phone: '13814547777' })).toBe(1);
        throw new Error('simulated crash after the customer insert');
      }),
    ).rejects.toThrow(/simulated crash/);
    expect(await snapshot()).toEqual(before);
    expect(await h.count('customer', 'phone = ?', ['13814547777'])).toBe(0);
  });
});
