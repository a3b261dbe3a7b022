import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { BusinessSystemFake } from '../fakes/business-systems';
import { HttpFake } from '../fakes/http-fake';

const A = '13915449701';
const B = '13915449702';

describeEachDb('consistency report: key fields compared with the finance system', (kind) => {
  const h = new Harness(kind, 0);
  const finance = new HttpFake();
  let secret = '';
  let sourceId = 0;
  let records: unknown[] = [];
  const signatureOk: boolean[] = [];
  beforeAll(async () => {
    await Promise.all([h.start(), finance.start()]);
    // The finance system's export endpoint checks the request is Lifeline's (the scheme of docs/integrations.md).
    finance.route('GET', '/export', (req) => {
      const ts = String(req.headers['x-lifeline-timestamp']);
      signatureOk.push(createHmac('sha256', secret).update(`${ts}.`).digest('hex') === req.headers['x-lifeline-signature']);
      return { json: { items: records } };
    });
    const src = await h.req('POST', '/api/event-sources', { as: '系统管理员', body: { code: 'fin-cons', name: '金蝶财务', kind: 'finance' } });
    secret = src.body.secret;
    sourceId = src.body.id;
    await h.req('POST', '/api/leads', { as: '张敏', body: { phone: A, name: '陈妈妈', channel: '公众号-寒假讲座推文' } });
    await h.req('POST', '/api/leads', { as: '张敏', body: { phone: B, name: '赵妈妈', channel: '公众号-寒假讲座推文' } });
    const pay = new BusinessSystemFake(`${h.base}/api/events/in/fin-cons`, secret, () => h.clock.now());
    expect((await pay.send({ id: 'c-1', phone: A, amount: 12800 })).body.status).toBe('applied');
    await h.projector.drain();
  });
  afterAll(async () => {
    await Promise.all([h.stop(), finance.stop()]);
  });

  it('pulls the source, lists every difference, tells each owner, and reports the consistency rate', async () => {
    expect((await h.req('POST', '/api/consistency/runs', { as: '黄蓉', body: { sourceId } })).status).toBe(409); // no pull URL yet
    const set = await h.req('PATCH', `/api/event-sources/${sourceId}`, { as: '系统管理员', body: { pullUrl: `${finance.base}/export` } });
    expect(set.body.changed).toEqual(['pullUrl']);
    records = [
      { phone: A, name: '陈妈妈', amount: '12,800.00', paid: '已回款' },
      { phone: B, name: '李爸爸', paid: '已回款', service_status: '正常' },
      { phone: '13915449799', name: '不存在', paid: '已回款' },
    ];
    const run = await h.req('POST', '/api/consistency/runs', { as: '黄蓉', body: { sourceId } });
    expect(run.status).toBe(201);
    expect(signatureOk).toEqual([true]);
    expect(run.body).toMatchObject({ rows: 3, checks: 7, matched: 4, belowTarget: true, differenceCount: 3 });
    expect(run.body.rate).toBeCloseTo(4 / 7, 5);
    expect(run.body.differences.map((d: any) => [d.label, d.ours, d.theirs])).toEqual([
      ['客户名称', '赵妈妈', '李爸爸'],
      ['回款状态', false, true],
      ['客户不存在', null, '存在'],
    ]);
    expect(JSON.stringify(run.body)).not.toContain('13915449702');
    const [zhang] = await h.ds.query("SELECT id FROM app_user WHERE name = '张敏'");
    const sent = await h.ds.query("SELECT recipientId, payload FROM alarm_message WHERE dedupeKey LIKE 'consistency:%'");
    expect(sent).toHaveLength(1);
    expect(Number(sent[0].recipientId)).toBe(Number(zhang.id));
    expect(JSON.parse(sent[0].payload).lines[0]).toBe('1 位客户的资料与「金蝶财务」不一致（客户名称、回款状态），请核对并更正。');
    const list = await h.req('GET', '/api/consistency/runs', { as: '系统管理员' });
    expect(list.body.target).toBe(0.999);
    expect(list.body.items[0]).toMatchObject({ source: '金蝶财务', origin: 'pull', belowTarget: true });
    expect((await h.req('GET', '/api/consistency/runs', { as: '张敏' })).status).toBe(403);
  });

  it('an uploaded export (CSV) is compared the same way; a bad file changes nothing', async () => {
    const csv = `手机号,客户名称,合同金额,回款状态\n${A},陈妈妈,12800,是\n`;
    const up = await h.req('POST', `/api/consistency/upload?sourceId=${sourceId}`, { as: '黄蓉', raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ origin: 'upload', rows: 1, checks: 3, matched: 3, rate: 1, belowTarget: false });
    const runs = await h.count('consistency_run');
    const bad = await h.req('POST', `/api/consistency/upload?sourceId=${sourceId}`, {
      as: '黄蓉',
      raw: '城市,年级\n苏州,初三\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('手机号');
    expect(await h.count('consistency_run')).toBe(runs);
  });

  it('runs once a month per source with a pull URL; a source answering badly is a 502 and stores nothing', async () => {
    expect(await h.consistency.runMonthlyDue()).toBe(1);
    expect(await h.consistency.runMonthlyDue()).toBe(0);
    h.clock.advance(32 * 86_400_000);
    expect(await h.consistency.runMonthlyDue()).toBe(1);
    const runs = await h.count('consistency_run');
    finance.inject('GET', '/export', { status: 500, text: 'down' });
    const r = await h.req('POST', '/api/consistency/runs', { as: '黄蓉', body: { sourceId } });
    expect(r.status).toBe(502);
    expect(await h.count('consistency_run')).toBe(runs);
  });
});
