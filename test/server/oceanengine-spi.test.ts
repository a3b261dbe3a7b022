import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { SPI_EXAMPLE_BODY, SPI_EXAMPLE_SENT_AT, SPI_EXAMPLE_SIGNATURE, SPI_SECRET, spiEnvelope, spiPush, spiSign } from '../fakes/oceanengine-spi';

const clue = (clueId: string, phone: string, over: Record<string, unknown> = {}) => ({
  clue_id: clueId,
  telephone: phone,
  name: '巨量用户',
  province_name: '江苏',
  city_name: '苏州',
  promotion_name: '中考冲刺-春季',
  remark_dict: { 孩子年级: '初三', 关注点: '升学政策' },
  ...over,
});

describeEachDb('巨量引擎 SPI push', (kind) => {
  const h = new Harness(kind, 0);
  let url = '';
  const leads = () => h.count('`lead`');
  const records = () => h.count('intake_record');
  beforeAll(async () => {
    await h.start();
    const ch = await h.req('POST', '/api/intake-channels', {
      as: '系统管理员',
      body: { code: 'oe-spring', name: '巨量表单-春季', tag: '巨量-春季表单', kind: 'oceanengine', secret: SPI_SECRET },
    });
    expect(ch.status).toBe(201);
    expect(ch.body).toMatchObject({ kind: 'oceanengine', url: '/api/spi/oceanengine/oe-spring', hasSecret: true, serviceLabels: [] });
    expect(ch.body.key).toBeUndefined();
    expect(JSON.stringify(ch.body)).not.toContain(SPI_SECRET);
    url = `${h.base}/api/spi/oceanengine/oe-spring`;
  });
  afterAll(() => h.stop());

  it('the verify_webhook handshake echoes the int64 challenge, from the query or the body', async () => {
    const viaQuery = await fetch(`${url}?event=verify_webhook&challenge=9223372036854775807`);
    expect(viaQuery.status).toBe(200);
    const text = await viaQuery.text();
    expect(text).toContain('"challenge":9223372036854775807');
    expect(JSON.parse(text).BaseResp).toEqual({ StatusCode: 200, StatusMessage: 'ok' });
    const viaBody = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"event":"verify_webhook","challenge":1234567}',
    });
    expect(await viaBody.json()).toMatchObject({ challenge: 1234567 });
    const viaForm = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'event=verify_webhook&challenge=42',
    });
    expect(await viaForm.json()).toMatchObject({ challenge: 42 });
  });

  it("the reference's worked example: the test signer reproduces its signature, and the push becomes a lead", async () => {
    expect(spiSign(SPI_SECRET, SPI_EXAMPLE_BODY)).toBe(SPI_EXAMPLE_SIGNATURE);
    h.clock.set(SPI_EXAMPLE_SENT_AT + 2000);
    const r = await spiPush(url, SPI_EXAMPLE_BODY, { signature: SPI_EXAMPLE_SIGNATURE });
    expect(r.status).toBe(200);
    expect(r.body.BaseResp).toEqual({ StatusCode: 200, StatusMessage: 'ok' });
    const lead = await h.req('GET', `/api/leads/${r.body.leadId}`, { as: '系统管理员' });
    expect(lead.body).toMatchObject({ channel: '巨量-春季表单', campaign: '装修表单-春季' });
    expect(lead.body.customer).toMatchObject({ phone: '13800138000', name: '张三', province: '广东', city: '深圳' });
    const archived = await h.req('GET', `/api/leads/${r.body.leadId}/intake`, { as: '系统管理员' });
    expect(archived.body.items[0]).toMatchObject({ externalId: '7301234567890123456', outcome: 'created' });
    const [row] = await h.ds.query('SELECT messageId, payload FROM intake_record WHERE externalId = ?', ['7301234567890123456']);
    expect(row.messageId).toBe('2b1c9c1e-8a4f-4c1b-9f0e-3d2a1b0c9d8e');
    expect(row.payload).toBe(SPI_EXAMPLE_BODY); // archived byte for byte
    h.clock.set(Date.now());
  });

  it('a clue id beyond 2^53 sent as a bare number is kept exactly', async () => {
    h.clock.set(Date.now());
    const dataJson = '{"clue_id":7301234567890123999,"telephone":"13815449001","city_name":"苏州","advertiser_id":1780000000000001}';
    const r = await spiPush(url, spiEnvelope({}, { dataJson, timestamp: h.clock.now() }));
    expect(r.status).toBe(200);
    expect(await h.count('intake_record', 'externalId = ?', ['7301234567890123999'])).toBe(1);
  });

  it('a redelivered message and a clue pushed again under a new message id give one lead, even concurrently', async () => {
    const body = spiEnvelope(clue('7301234567890124001', '13815449002'), { messageId: 'msg-redeliver-1', timestamp: h.clock.now() });
    const before = await leads();
    const first = await Promise.all([spiPush(url, body), spiPush(url, body), spiPush(url, body)]);
    expect(first.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(first.map((r) => r.body.leadId)).size).toBe(1);
    expect(first.filter((r) => r.body.replayed).length).toBe(2);
    const again = await spiPush(url, spiEnvelope(clue('7301234567890124001', '13815449002'), { messageId: 'msg-redeliver-2', timestamp: h.clock.now() }));
    expect(again.body).toMatchObject({ replayed: true, leadId: first[0].body.leadId });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await leads()).toBe(before + 1);
  });

  it('forged, tampered, unsigned, stale and oversized pushes are refused with 4xx and change nothing', async () => {
    const before = [await leads(), await records()];
    const body = spiEnvelope(clue('7301234567890125001', '13815449003'), { timestamp: h.clock.now() });
    const forged = await spiPush(url, body, { secret: 'another_secret_0123456789abcdef' });
    expect(forged.status).toBe(401);
    expect(forged.body.BaseResp.StatusCode).toBe(401);
    expect(forged.body.error.message).toContain('签名校验失败');
    const tampered = await spiPush(url, body.replace('13815449003', '13815449004'), { signature: spiSign(SPI_SECRET, body) });
    expect(tampered.status).toBe(401);
    expect((await spiPush(url, body, { signature: null })).status).toBe(401);
    const staleBody = spiEnvelope(clue('7301234567890125002', '13815449005'), { timestamp: h.clock.now() - 73 * 3600_000 });
    const stale = await spiPush(url, staleBody);
    expect(stale.status).toBe(400);
    expect(stale.body.BaseResp.StatusCode).toBe(400);
    const huge = spiEnvelope(clue('7301234567890125003', '13815449006', { remark: 'x'.repeat(70 * 1024) }), { timestamp: h.clock.now() });
    expect((await spiPush(url, huge)).status).toBe(413);
    const notJson = await spiPush(url, '{"message_id":"m","data":"{broken"}');
    expect(notJson.body.error.message).toContain('data');
    expect(notJson.status).toBe(400);
    expect([await leads(), await records()]).toEqual(before);
  });

  it('a clue with a broken phone is a business error (4xx, no retry); an unknown channel is 404', async () => {
    const r = await spiPush(url, spiEnvelope(clue('7301234567890126001', '1381544'), { timestamp: h.clock.now() }));
    expect(r.status).toBe(400);
    expect(r.body.BaseResp.StatusCode).toBe(400);
    expect(r.body.error.message).toContain('手机号');
    expect((await spiPush(`${h.base}/api/spi/oceanengine/no-such`, spiEnvelope(clue('1', '13815449007')))).status).toBe(404);
  });

  it('with service labels set, a push under another label is archived as ignored and acknowledged', async () => {
    const ch = await h.req('GET', '/api/intake-channels', { as: '系统管理员' });
    const id = ch.body.items.find((c: any) => c.code === 'oe-spring').id;
    const patch = await h.req('PATCH', `/api/intake-channels/${id}`, { as: '系统管理员', body: { serviceLabels: ['clue.form'] } });
    expect(patch.status).toBe(200);
    const before = await leads();
    const other = await spiPush(
      url,
      spiEnvelope(clue('7301234567890127001', '13815449008'), { label: 'report.advertiser.beforeday', timestamp: h.clock.now() }),
    );
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ ignored: true });
    expect(await h.count('intake_record', "outcome = 'ignored'")).toBe(1);
    const ours = await spiPush(url, spiEnvelope(clue('7301234567890127002', '13815449009'), { label: 'clue.form', timestamp: h.clock.now() }));
    expect(ours.status).toBe(200);
    expect(await leads()).toBe(before + 1);
    // A new secret from the console: the old one stops working at once; the change is audited without the secret.
    const rotate = await h.req('PATCH', `/api/intake-channels/${id}`, { as: '系统管理员', body: { secret: 'rotated_secret_0123456789abcdef' } });
    expect(rotate.body.changed).toEqual(['secret']);
    expect((await spiPush(url, spiEnvelope(clue('7301234567890127003', '13815449010'), { timestamp: h.clock.now() }))).status).toBe(401);
    const ok = await spiPush(url, spiEnvelope(clue('7301234567890127003', '13815449010'), { timestamp: h.clock.now() }), {
      secret: 'rotated_secret_0123456789abcdef',
    });
    expect(ok.status).toBe(200);
    expect(JSON.stringify(await h.ds.query("SELECT * FROM audit_log WHERE entity = 'intake_channel'"))).not.toMatch(/rotated_secret|test_app_secret/);
  });

  it('an SPI channel needs its secret; other kinds refuse one', async () => {
    const noSecret = await h.req('POST', '/api/intake-channels', { as: '系统管理员', body: { code: 'oe-x', name: 'x', tag: 'x', kind: 'oceanengine' } });
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.error.message).toContain('签名密钥');
    const apiWithSecret = await h.req('POST', '/api/intake-channels', { as: '系统管理员', body: { code: 'api-x', name: 'x', tag: 'x', secret: SPI_SECRET } });
    expect(apiWithSecret.status).toBe(400);
  });
});
