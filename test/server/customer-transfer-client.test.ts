import { afterAll, beforeAll, expect, it } from 'vitest';
import { TransferWorker } from '../../server/src/users/transfer-worker';
import { describeEachDb, Harness, TEST_CONFIG, type Res } from '../support/harness';
import { FakeWecom } from '../fakes/wecom-server';
import { transferState, withWecomTransfers } from '../fakes/wecom-transfers';

const ADMIN = '系统管理员';
const H = 3600_000;

/**
 * 离职继承 and 在职继承 through the real WeCom client against the fake server (platform-2.md §3): a leaver's 150
 * contacts go in calls of ≤ 100 with the right bodies, results are polled until done, a refusal is listed; an admin's
 * reassignment moves an active member's customers with transfer_customer.
 */
describeEachDb('WeCom customer inheritance over HTTP', (kind) => {
  const h = new Harness(kind, 0);
  const wx = new FakeWecom('wwtransfer0001', 'fake-secret-0001');
  const state = transferState();
  let worker: TransferWorker;
  beforeAll(async () => {
    await h.start();
    await wx.start();
    withWecomTransfers(wx, state, 120);
    h.app.config = { ...TEST_CONFIG, wecom: { corpId: 'wwtransfer0001', agentId: 1000002, secret: 'fake-secret-0001', apiBase: wx.base } };
    await h.ds.query('UPDATE company SET wecomCorpId = ? WHERE id = ?', ['wwtransfer0001', h.seed.companyId]);
    for (const [name, wid] of [
      ['陈晨', 'chenchen'],
      ['李静', 'lijing'],
      ['张敏', 'zhangmin'],
      ['王强', 'wangqiang'],
    ])
      await h.ds.query('UPDATE app_user SET wecomUserId = ? WHERE companyId = ? AND name = ?', [wid, h.seed.companyId, name]);
    h.app.actors.clear();
    worker = new TransferWorker(h.app, { pollMs: H, backoffMs: 60_000, maxAttempts: 3 });
  });
  afterAll(async () => {
    await wx.stop();
    await h.stop();
  });

  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const statuses = async () =>
    Object.fromEntries(
      (await h.ds.query("SELECT status, COUNT(*) AS n FROM customer_transfer WHERE externalUserId IS NOT NULL AND externalUserId <> '' GROUP BY status")).map(
        (r: { status: string; n: number }) => [r.status, Number(r.n)],
      ),
    );

  it('a leaver: contacts listed from get_unassigned_list, sent in calls of ≤ 100, polled until done; a refusal is listed', async () => {
    const contacts = Array.from({ length: 150 }, (_, i) => `wmCC${String(i).padStart(4, '0')}`);
    state.unassigned = [
      { handover_userid: 'other', external_userid: 'wmOther' },
      ...contacts.map((id) => ({ handover_userid: 'chenchen', external_userid: id })),
    ];
    ok(await h.req('PATCH', `/api/users/${(await h.user('陈晨')).id}`, { as: ADMIN, body: { active: false } }), 'deactivate');
    await worker.tick();
    const calls = state.sent.filter((s) => s.path.endsWith('resigned/transfer_customer'));
    expect(calls.map((c) => c.body.external_userid.length)).toEqual([100, 50]);
    expect(calls.every((c) => c.body.handover_userid === 'chenchen' && typeof c.body.takeover_userid === 'string')).toBe(true);
    expect(calls.flatMap((c) => c.body.external_userid)).not.toContain('wmOther');
    expect(await statuses()).toEqual({ sent: 150 });
    for (const id of contacts) state.results.set(id, 1);
    state.results.set(contacts[7], 3);
    h.clock.advance(H + 1);
    await worker.tick();
    expect(await statuses()).toEqual({ done: 149, failed: 1 });
    const failed = ok(await h.req('GET', '/api/users/transfers?status=failed', { as: ADMIN }), 'failed') as any;
    expect(failed.items[0]).toMatchObject({ externalUserId: contacts[7] });
  });

  it('在职继承: an admin reassigns an active rep; externalcontact/list then transfer_customer moves their customers', async () => {
    state.customers.set('zhangmin', ['wmZM1', 'wmZM2']);
    ok(
      await h.req('POST', `/api/users/${(await h.user('张敏')).id}/reassign`, {
        as: ADMIN,
        body: { toUserId: (await h.user('王强')).id, leads: 'all', customers: true, reason: '调岗' },
      }),
      'reassign',
    );
    await worker.tick();
    const onJob = state.sent.filter((s) => s.path === '/cgi-bin/externalcontact/transfer_customer');
    expect(onJob.map((c) => [c.body.handover_userid, c.body.takeover_userid, c.body.external_userid])).toEqual([['zhangmin', 'wangqiang', ['wmZM1', 'wmZM2']]]);
  });
});
