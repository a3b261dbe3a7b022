import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneSchema } from '@lifeline/shared';
import { contentItemSchema } from '../../server/src/content/content.service';
import * as sidebarSchemas from '../../server/src/sidebar/schemas';
import { Harness, describeEachDb } from '../support/harness';
import { exportedSchemas, uncheckedStringFields } from '../support/text-guard';

const NUL = '\u0000';
const RLO = '\u202E'; // right-to-left override: "王妈妈\u202E1234" shows as "王妈妈4321"
const LONE = '\ud83d'; // half of an emoji

/** Rows in every table a refused write could have touched, and the company's settings. */
const TABLES = [
  'customer',
  '`lead`',
  'followup',
  'journey_event',
  'routing_pool',
  'routing_pool_member',
  'routing_rule_set',
  'script',
  'content_item',
  'content_queue',
  'intake_channel',
  'intake_record',
  'audit_log',
  'alarm_timer',
  'lead_fact',
  'channel_spend',
];

describeEachDb('text is text: invisible/control characters are refused at every write, nothing stored', (kind) => {
  const h = new Harness(kind, 5);
  let leadId = 0;
  let channelKey = '';
  let channelId = 0;
  let weights: unknown[] = [];

  beforeAll(async () => {
    await h.start();
    leadId = (await h.req('GET', '/api/leads?owner=me', { as: '张敏' })).body.items[0].id;
    const ch = await h.req('POST', '/api/intake-channels', { as: '黄蓉', body: { code: 'gzh-text', name: '公众号', tag: '公众号-推文' } });
    expect(ch.status).toBe(201);
    channelKey = ch.body.key;
    channelId = ch.body.id;
    weights = (await h.req('GET', '/api/scoring/weights', { as: '系统管理员' })).body.weights;
  });
  afterAll(() => h.stop());

  async function snapshot() {
    const counts = await Promise.all(TABLES.map((t) => h.count(t)));
    const [company] = await h.ds.query('SELECT settings FROM company ORDER BY id LIMIT 1');
    const [channel] = await h.ds.query('SELECT name, tag, mapping FROM intake_channel WHERE id = ?', [channelId]);
    const [lead] = await h.ds.query(
      'SELECT l.channel, l.campaign, c.name, c.city, c.tags FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE l.id = ?',
      [leadId],
    );
    return JSON.stringify({ counts: Object.fromEntries(TABLES.map((t, i) => [t, counts[i]])), company, channel, lead });
  }

  async function refused(label: string, method: string, path: string, opts: { as?: string; body: unknown; headers?: Record<string, string> }) {
    const before = await snapshot();
    const r = await h.req(method, path, opts);
    expect(r.status, `${method} ${path}: ${r.text}`).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect(r.body.error.message).toContain(`${label}含有不可见的控制字符`);
    expect(r.body.error.message).toContain('请删除后重试');
    expect(await snapshot(), `${method} ${path} stored something`).toBe(before);
    return r;
  }

  it('new lead: name, city, channel, tags', async () => {
    const phone = '13915449871';
    await refused('称呼', 'POST', '/api/leads', { as: '张敏', body: { phone, channel: '抖音-202601直播', name: `王妈妈${RLO}4321` } });
    await refused('城市', 'POST', '/api/leads', { as: '张敏', body: { phone, channel: '抖音-202601直播', city: `苏${NUL}州` } });
    await refused('渠道标签', 'POST', '/api/leads', { as: '张敏', body: { phone, channel: `抖音${LONE}` } });
    await refused('标签', 'POST', '/api/leads', { as: '张敏', body: { phone, channel: '抖音-202601直播', tags: ['好', `坏\u2066`] } });
    const ok = await h.req('POST', '/api/leads', { as: '张敏', body: { phone, channel: '抖音-202601直播', name: '王妈妈😀' } });
    expect(ok.status).toBe(201);
  });

  it('PATCH lead: customer name, city, campaign, lost reason', async () => {
    await refused('称呼', 'PATCH', `/api/leads/${leadId}`, { as: '张敏', body: { name: `李${RLO}妈妈` } });
    await refused('城市', 'PATCH', `/api/leads/${leadId}`, { as: '张敏', body: { city: `\u202D南京` } });
    await refused('活动名称', 'PATCH', `/api/leads/${leadId}`, { as: '张敏', body: { campaign: `寒假${NUL}` } });
    await refused('流失原因', 'PATCH', `/api/leads/${leadId}`, { as: '李静', body: { status: 'lost', lostReason: `价格${LONE}` } });
  });

  it('follow-up: conclusion, next step, transcript (line breaks stay allowed in the conclusion)', async () => {
    const base = { leadId, action: '已电话沟通' };
    await refused('关键结论', 'POST', '/api/followups', { as: '张敏', body: { ...base, conclusion: `家长${RLO}在意价格` } });
    await refused('下一步动作', 'POST', '/api/followups', {
      as: '张敏',
      body: { ...base, conclusion: '在意价格', nextStep: { at: '2026-01-16T10:00:00+08:00', action: `发${NUL}资料` } },
    });
    await refused('语音转写', 'POST', '/api/followups', { as: '张敏', body: { ...base, conclusion: '在意价格', source: 'voice', transcript: `嗯${LONE}` } });
    const ok = await h.req('POST', '/api/followups', { as: '张敏', body: { ...base, conclusion: '在意价格\n下周再约', clientRequestId: `text-ok-${kind}` } });
    expect(ok.status, ok.text).toBe(201);
  });

  it('routing pool and rule names; script library; content items', async () => {
    const units = (await h.req('GET', '/api/org-units', { as: '系统管理员' })).body.items;
    await refused('线索池名称', 'POST', '/api/routing/pools', { as: '系统管理员', body: { name: `南京${RLO}池`, orgUnitId: units[0].id, members: [] } });
    await refused('规则名称', 'PUT', '/api/routing/rules', {
      as: '系统管理员',
      body: { rules: [{ name: `高分${NUL}`, poolId: 1 }], defaultPoolId: 1 },
    });
    await refused('标题', 'POST', '/api/scripts', { as: '系统管理员', body: { category: '开场', title: `问候${RLO}`, text: '您好{称呼}' } });
    await refused('话术内容', 'POST', '/api/scripts', { as: '系统管理员', body: { category: '开场', title: '问候', text: `您好{称呼}${NUL}` } });
    await refused('资料标题', 'POST', '/api/content/items', { as: '黄蓉', body: { tag: '英语薄弱', title: `提分${LONE}`, url: 'https://content.example/en' } });
    await refused('资料链接', 'POST', '/api/content/items', {
      as: '黄蓉',
      body: { tag: '英语薄弱', title: '提分', url: `https://content.example/${RLO}fdp.exe` },
    });
  });

  it('intake channel names and tags; score weight values and labels (company settings); channel spend', async () => {
    await refused('渠道名称', 'POST', '/api/intake-channels', { as: '黄蓉', body: { code: 'gzh-two', name: `公众号${RLO}`, tag: '公众号-推文' } });
    await refused('渠道标签', 'PATCH', `/api/intake-channels/${channelId}`, { as: '黄蓉', body: { tag: `公众号${NUL}` } });
    await refused('取值', 'PUT', '/api/scoring/weights', {
      as: '系统管理员',
      body: { weights: [...weights, { field: 'city', value: `苏州${RLO}`, points: 5 }] },
    });
    await refused('说明', 'PUT', '/api/scoring/weights', {
      as: '系统管理员',
      body: { weights: [...weights, { field: 'city', value: '苏州', points: 5, label: `苏州${NUL}` }] },
    });
    await refused('渠道', 'PUT', '/api/metrics/channel-spend', { as: '黄蓉', body: { channel: `抖音${RLO}直播`, month: '2026-01', amount: 1000 } });
  });

  it('intake API and Douyin-style payloads: a lead with such text is refused with 400, no lead, no archived payload', async () => {
    await refused('称呼', 'POST', '/api/intake/gzh-text', { body: { phone: '13915449872', name: `王${RLO}妈妈` }, headers: { 'x-intake-key': channelKey } });
    await refused('年级', 'POST', '/api/intake/gzh-text', { body: { phone: '13915449872', grade: `初三${NUL}` }, headers: { 'x-intake-key': channelKey } });
    await refused('平台线索ID', 'POST', '/api/intake/gzh-text', {
      body: { phone: '13915449872', externalId: `x${LONE}` },
      headers: { 'x-intake-key': channelKey },
    });
    const ok = await h.req('POST', '/api/intake/gzh-text', { body: { phone: '13915449872', name: '王妈妈' }, headers: { 'x-intake-key': channelKey } });
    expect(ok.status).toBe(201);
  });

  it('intake API: pasted zero-width characters (U+200B, U+2060, U+FEFF) are removed and the paid lead is kept; a bidi control still refuses it', async () => {
    const intake = (body: unknown) => h.req('POST', '/api/intake/gzh-text', { body, headers: { 'x-intake-key': channelKey } });
    const r = await intake({ phone: '13915449876\u200B', name: '\uFEFF王\u200B妈妈\u2060', city: '苏\u200B州', externalId: 'dy\u200B-zw-1' });
    expect(r.status, r.text).toBe(201);
    const [row] = await h.ds.query('SELECT c.name, c.city, c.phone FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE l.id = ?', [r.body.leadId]);
    expect(row).toEqual({ name: '王妈妈', city: '苏州', phone: '13915449876' });
    expect((await h.ds.query('SELECT externalId FROM intake_record WHERE leadId = ?', [r.body.leadId]))[0].externalId).toBe('dy-zw-1');
    // The same platform lead again (its id now without the zero-width space) is a replay, not a second lead.
    expect((await intake({ phone: '13915449876', name: '王妈妈', externalId: 'dy-zw-1' })).body).toMatchObject({ leadId: r.body.leadId, replayed: true });
    await refused('称呼', 'POST', '/api/intake/gzh-text', {
      body: { phone: '13915449877', name: `王\u200B${RLO}妈妈` },
      headers: { 'x-intake-key': channelKey },
    });
  });

  it('import: a row with such text is an error row with the Chinese reason, not stored; clean rows still go in', async () => {
    const csv = ['手机号,称呼,城市', `13915449873,王${RLO}妈妈,苏州`, `13915449874,李妈妈,南${NUL}京`, '13915449875,赵妈妈,苏州'].join('\n');
    const token = await h.token('黄蓉');
    const upload = (qs: string) =>
      fetch(`${h.base}/api/imports?${qs}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', prefer: 'wait' },
        body: new TextEncoder().encode(csv),
      });
    const leads = await h.count('`lead`');
    const res = await upload(`channel=${encodeURIComponent('地推-展会')}&filename=expo.csv`);
    const body = (await res.json()) as any;
    expect(res.status).toBe(202);
    expect(body).toMatchObject({ status: 'done', total: 3, created: 1, rejected: 2 });
    expect(body.report.map((r: any) => [r.row, r.outcome])).toEqual([
      [2, 'rejected'],
      [3, 'rejected'],
      [4, 'created'],
    ]);
    expect(body.report[0].reason).toBe('称呼含有不可见的控制字符（第2个字符，U+202E 从右向左覆盖），请删除后重试');
    expect(body.report[1].reason).toContain('城市含有不可见的控制字符');
    expect(await h.count('`lead`')).toBe(leads + 1);
    expect(await h.count('customer', 'phone IN (?, ?)', ['13915449873', '13915449874'])).toBe(0);
    // the channel given with the upload is checked too
    const jobs = await h.count('import_job');
    const bad = await upload(`channel=${encodeURIComponent(`地推${RLO}`)}&filename=a.csv`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toContain('渠道标签含有不可见的控制字符');
    expect(await h.count('import_job')).toBe(jobs);
  });
});

describe('guard: server-side request schemas use the text rule on every string field', () => {
  it('content items and sidebar schemas', () => {
    const schemas = [['contentItemSchema', contentItemSchema] as const, ...exportedSchemas(sidebarSchemas)];
    expect(schemas.length).toBeGreaterThan(3);
    const unchecked = schemas.flatMap(([name, s]) => uncheckedStringFields(s, '', [phoneSchema]).map((p) => `${name}.${p}`));
    expect(unchecked).toEqual([]);
  });
});
