import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { DouyinPushFake, douyinClue } from '../fakes/douyin-push';

const SECRET = 'douyin-test-secret-0123456789';

describeEachDb('Douyin lead push adapter', (kind) => {
  const h = new Harness(kind, 0);
  let url = '';
  let douyin: DouyinPushFake;
  beforeAll(async () => {
    await h.start();
    h.app.config = { ...h.app.config, douyin: { pushSecret: SECRET } };
    douyin = new DouyinPushFake(SECRET, () => h.clock.now());
    const ch = await h.req('POST', '/api/intake-channels', {
      as: '系统管理员',
      body: { code: 'douyin-202601', name: '抖音直播线索', tag: '抖音-202601直播', kind: 'douyin' },
    });
    expect(ch.status).toBe(201);
    expect(ch.body.key).toBeUndefined(); // signed by the platform; no intake key
    expect(ch.body.mapping.externalId).toBe('$.clue_id');
    url = `${h.base}/api/intake/douyin-202601`;
  });
  afterAll(() => h.stop());

  it('a signed push becomes a lead: 省+市 split, grade/concern from the form, routed, raw payload archived', async () => {
    const clue = douyinClue({
      clue_id: '7301000000000000001',
      telephone: '+8613815440123',
      name: '刘妈妈',
      location: '江苏省苏州市',
      remark_dict: { 孩子年级: '九年级', 关注点: '升学政策、学科提分' },
    });
    const r = await douyin.push(url, clue);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'assigned', attachedToExisting: false, score: 90 });
    const lead = await h.req('GET', `/api/leads/${r.body.leadId}`, { as: '系统管理员' });
    expect(lead.body).toMatchObject({ channel: '抖音-202601直播', campaign: '202601直播-中考冲刺', status: 'assigned' });
    expect(lead.body.customer).toMatchObject({
      phone: '13815440123',
      name: '刘妈妈',
      province: '江苏',
      city: '苏州',
      grade: '初三',
      concerns: ['升学政策', '学科提分'],
    });
    const archived = await h.req('GET', `/api/leads/${r.body.leadId}/intake`, { as: '系统管理员' });
    expect(archived.body.items).toHaveLength(1);
    expect(archived.body.items[0]).toMatchObject({ externalId: '7301000000000000001', outcome: 'created', channel: '抖音直播线索' });
    expect(archived.body.items[0].payload).toEqual(clue); // exactly what the platform sent
    const routing = await h.req('GET', `/api/leads/${r.body.leadId}/routing`, { as: '系统管理员' });
    expect(routing.body.items[0]).toMatchObject({ kind: 'auto', outcome: 'assigned', pool: { name: '苏州园区中心-中考组' } });
    // The system actor is recorded as NULL (no person) in the audit trail.
    const audit = await h.req('GET', `/api/leads/${r.body.leadId}/audit`, { as: '系统管理员' });
    expect(audit.body.items.find((a: any) => a.entity === 'lead' && a.action === 'create').actorId).toBeNull();
  });

  it('the same clue_id pushed again (even concurrently) gives one lead', async () => {
    const clue = douyinClue({ clue_id: '7301000000000000002', telephone: '13815440124', city_name: '南京' });
    const leadsBefore = await h.count('`lead`');
    const results = await Promise.all([douyin.push(url, clue), douyin.push(url, clue), douyin.push(url, clue)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    const ids = new Set(results.map((r) => r.body.leadId));
    expect(ids.size).toBe(1);
    const replay = results.find((r) => r.status === 200)!;
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await h.count('`lead`')).toBe(leadsBefore + 1);
    expect(await h.count('intake_record', 'externalId = ?', ['7301000000000000002'])).toBe(1);
  });

  it('a bad signature, a stale timestamp or a tampered body is refused and writes nothing', async () => {
    const before = await h.count('`lead`');
    const clue = douyinClue({ clue_id: '7301000000000000003', telephone: '13815440125' });
    const bad = await douyin.push(url, clue, { signature: 'ab'.repeat(32) });
    expect(bad.status).toBe(401);
    expect(bad.body.error.message).toBe('签名校验失败');
    const ts = String(Math.floor(h.clock.now() / 1000) - 3600);
    const stale = await douyin.push(url, clue, { timestamp: ts, signature: douyin.sign(ts, JSON.stringify(clue)) });
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toContain('时间戳');
    const nowTs = String(Math.floor(h.clock.now() / 1000));
    const tampered = await douyin.push(url, { ...clue, telephone: '13900000000' }, { timestamp: nowTs, signature: douyin.sign(nowTs, JSON.stringify(clue)) });
    expect(tampered.status).toBe(401);
    const missing = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(clue) });
    expect(missing.status).toBe(401);
    expect(await h.count('`lead`')).toBe(before);
    expect(await h.count('intake_record', 'externalId = ?', ['7301000000000000003'])).toBe(0);
  });

  it('a push with a broken phone is refused with a reason; an unknown channel is 404', async () => {
    const r = await douyin.push(url, douyinClue({ clue_id: '7301000000000000004', telephone: '1381544' }));
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('手机号');
    const unknown = await douyin.push(`${h.base}/api/intake/no-such-channel`, douyinClue());
    expect(unknown.status).toBe(404);
  });
});

describeEachDb('intake API with a per-channel key and JSON-path mapping', (kind) => {
  const h = new Harness(kind, 0);
  let key = '';
  let channelId = 0;
  beforeAll(async () => {
    await h.start();
    const ch = await h.req('POST', '/api/intake-channels', {
      as: '黄蓉',
      body: {
        code: 'gzh-winter',
        name: '公众号寒假讲座报名',
        tag: '公众号-寒假讲座推文',
        mapping: {
          phone: '$.data.contact["手机"]',
          name: '$.data.contact.称呼',
          grade: '$.data.fields[0].value',
          concerns: '$.data.fields[1].value',
          city: '$.data.city',
          tags: '$.data.tags',
          externalId: '$.id',
        },
      },
    });
    expect(ch.status).toBe(201);
    key = ch.body.key;
    channelId = ch.body.id;
    expect(key).toMatch(/^lk_/);
  });
  afterAll(() => h.stop());

  const send = (body: unknown, k = key) => h.req('POST', '/api/intake/gzh-winter', { body, headers: { 'x-intake-key': k } });

  it('only the key hash is stored, never the key', async () => {
    const [row] = await h.ds.query('SELECT keyHash FROM intake_channel WHERE id = ?', [channelId]);
    expect(row.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await h.ds.query('SELECT * FROM intake_channel'))).not.toContain(key);
    expect(JSON.stringify(await h.ds.query("SELECT * FROM audit_log WHERE entity = 'intake_channel'"))).not.toContain(key);
  });

  it('maps a nested payload by JSON path; the channel tag is the lead channel; the same phone attaches', async () => {
    const payload = {
      id: 'f-1',
      data: { contact: { 手机: '139 1544 7788', 称呼: '孙爸爸' }, fields: [{ value: '初二' }, { value: '学科提分' }], city: '苏州', tags: ['摇号焦虑'] },
    };
    const r = await send(payload);
    expect(r.status).toBe(201);
    const lead = await h.req('GET', `/api/leads/${r.body.leadId}`, { as: '系统管理员' });
    expect(lead.body).toMatchObject({ channel: '公众号-寒假讲座推文' });
    expect(lead.body.customer).toMatchObject({ phone: '13915447788', name: '孙爸爸', grade: '初二', concerns: ['学科提分'], city: '苏州', tags: ['摇号焦虑'] });
    const customers = await h.count('customer');
    const again = await send({ ...payload, id: 'f-2', data: { ...payload.data, contact: { 手机: '+86 13915447788' } } });
    expect(again.status).toBe(201);
    expect(again.body.attachedToExisting).toBe(true);
    expect(again.body.customerId).toBe(r.body.customerId);
    expect(await h.count('customer')).toBe(customers);
  });

  it('a wrong or missing key is 401; bad input is 400 in Chinese; nothing is written', async () => {
    const before = await h.count('`lead`');
    expect((await send({ id: 'x', data: { contact: { 手机: '13915447789' } } }, 'lk_wrong')).status).toBe(401);
    const none = await h.req('POST', '/api/intake/gzh-winter', { body: {} });
    expect(none.status).toBe(401);
    expect(none.body.error.message).toContain('X-Intake-Key');
    const sci = await send({ id: 'y', data: { contact: { 手机: '1.39154E+10' } } });
    expect(sci.status).toBe(400);
    expect(sci.body.error.message).toContain('科学计数法');
    const noPhone = await send({ id: 'z', data: {} });
    expect(noPhone.status).toBe(400);
    expect(noPhone.body.error.message).toBe('缺少手机号');
    const arr = await send([1, 2]);
    expect(arr.status).toBe(400);
    expect(await h.count('`lead`')).toBe(before);
  });

  it('channel admin: mapping changes are validated and audited; rotating the key retires the old one', async () => {
    const bad = await h.req('PATCH', `/api/intake-channels/${channelId}`, { as: '系统管理员', body: { mapping: { phone: '$..[' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('路径无效');
    expect((await h.req('PATCH', `/api/intake-channels/${channelId}`, { as: '张敏', body: { active: false } })).status).toBe(403);
    const rot = await h.req('PATCH', `/api/intake-channels/${channelId}`, { as: '系统管理员', body: { rotateKey: true, tag: '公众号-202602讲座' } });
    expect(rot.status).toBe(200);
    expect(rot.body.changed).toEqual(expect.arrayContaining(['tag', 'keyHash']));
    expect((await send({ id: 'k1', data: { contact: { 手机: '13915447790' } } })).status).toBe(401);
    const ok = await send({ id: 'k2', data: { contact: { 手机: '13915447790' } } }, rot.body.key);
    expect(ok.status).toBe(201);
    expect((await h.req('GET', `/api/leads/${ok.body.leadId}`, { as: '黄蓉' })).body.channel).toBe('公众号-202602讲座');
    const audit = await h.ds.query("SELECT field FROM audit_log WHERE entity = 'intake_channel' AND entityId = ?", [channelId]);
    expect(audit.map((a: any) => a.field)).toEqual(expect.arrayContaining(['*', 'tag', 'keyHash']));
  });
});
