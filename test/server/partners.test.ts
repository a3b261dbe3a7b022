import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { PartnerSystemFake } from '../fakes/partner-system';

describeEachDb('partner API: referrals, approval, progress, nothing else', (kind) => {
  const h = new Harness(kind, 0);
  let direct: PartnerSystemFake;
  let held: PartnerSystemFake;
  let heldId = 0;
  beforeAll(async () => {
    await h.start();
    const a = await h.req('POST', '/api/partners', { as: '系统管理员', body: { name: '启明教育', tag: '渠道商-启明教育' } });
    expect(a.status).toBe(201);
    expect(a.body.key).toMatch(/^pk_/);
    direct = new PartnerSystemFake(h.base, a.body.key);
    const b = await h.req('POST', '/api/partners', { as: '系统管理员', body: { name: '星火书店', tag: '渠道商-星火书店', requireApproval: true } });
    heldId = b.body.id;
    held = new PartnerSystemFake(h.base, b.body.key);
  });
  afterAll(() => h.stop());

  it('a referral becomes a routed lead tagged with the partner; the same ref again is the same referral', async () => {
    const r = await direct.refer({ ref: 'QM-0001', phone: '13915449601', name: '启明家长', grade: '初三' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ ref: 'QM-0001', status: 'approved', phone: '139****9601', name: '启明家长', lead: { stage: '线索获取', status: '已分配' } });
    const again = await direct.refer({ ref: 'QM-0001', phone: '13915449601' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const [lead] = await h.ds.query('SELECT l.id, l.channel, l.ownerId FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.phone = ?', [
      '13915449601',
    ]);
    expect(lead.channel).toBe('渠道商-启明教育');
    expect(await h.count('partner_referral')).toBe(1);
    // A rep follows up: the partner sees the stage and the date, nothing of what was said.
    const owner = (await h.ds.query('SELECT name FROM app_user WHERE id = ?', [lead.ownerId]))[0].name;
    const fu = await h.req('POST', '/api/followups', {
      as: owner,
      body: { leadId: Number(lead.id), action: '已电话沟通', conclusion: '家长预算有限，想对比三家' },
      headers: { 'Idempotency-Key': `partner-${kind}-1` },
    });
    expect(fu.status).toBe(201);
    const progress = await direct.progress();
    expect(progress.body.items).toEqual([
      expect.objectContaining({ ref: 'QM-0001', lead: { stage: '首次触达', status: '跟进中', lastContactDate: '2026-01-15', deleted: false } }),
    ]);
    expect(JSON.stringify(progress.body)).not.toMatch(/预算|13915449601|ownerId|张敏|李静/);
  });

  it('held referrals wait for a supervisor; approved once, rejected with a reason the partner sees', async () => {
    const r1 = await held.refer({ ref: 'XH-1', phone: '13915449602', name: '星火家长' });
    const r2 = await held.refer({ ref: 'XH-2', phone: '13915449603' });
    expect([r1.body.status, r2.body.status]).toEqual(['pending', 'pending']);
    expect(await h.count('`lead`', 'channel = ?', ['渠道商-星火书店'])).toBe(0);
    const list = await h.req('GET', '/api/partner-referrals?status=pending', { as: '李静' });
    expect(list.body.items.map((i: any) => i.ref).sort()).toEqual(['XH-1', 'XH-2']);
    const id1 = list.body.items.find((i: any) => i.ref === 'XH-1').id;
    const id2 = list.body.items.find((i: any) => i.ref === 'XH-2').id;
    const approvals = await Promise.all([
      h.req('POST', `/api/partner-referrals/${id1}/approve`, { as: '李静' }),
      h.req('POST', `/api/partner-referrals/${id1}/approve`, { as: '系统管理员' }),
    ]);
    expect(approvals.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(await h.count('`lead`', 'channel = ?', ['渠道商-星火书店'])).toBe(1);
    const rejected = await h.req('POST', `/api/partner-referrals/${id2}/reject`, { as: '李静', body: { reason: '重复推荐' } });
    expect(rejected.body).toMatchObject({ status: 'rejected' });
    const mine = await held.progress();
    expect(mine.body.items.find((i: any) => i.ref === 'XH-2')).toMatchObject({ status: 'rejected', reason: '重复推荐', lead: null });
    expect(mine.body.items.find((i: any) => i.ref === 'XH-1')).toMatchObject({ status: 'approved', lead: { stage: '线索获取' } });
    expect((await h.req('GET', '/api/partner-referrals', { as: '张敏' })).status).toBe(403);
  });

  it('a partner reads only its own referrals; bad keys, bad input and switched-off partners are refused', async () => {
    const theirs = await held.progress();
    expect(theirs.body.items.every((i: any) => i.ref.startsWith('XH-'))).toBe(true);
    expect((await new PartnerSystemFake(h.base, 'pk_wrong').progress()).status).toBe(401);
    const bad = await direct.refer({ ref: 'QM-2', phone: '1391544' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('手机号');
    expect((await direct.refer({ phone: '13915449604' })).status).toBe(400);
    await h.req('PATCH', `/api/partners/${heldId}`, { as: '系统管理员', body: { active: false } });
    expect((await held.refer({ ref: 'XH-3', phone: '13915449605' })).status).toBe(401);
    const audit = await h.ds.query("SELECT * FROM audit_log WHERE entity = 'partner'");
    expect(JSON.stringify(audit)).not.toContain('pk_');
  });
});
