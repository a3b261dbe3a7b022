import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, type Res } from '../support/harness';
import { holdAndRace } from '../support/interleave';

/**
 * A deactivation racing an assignment or a claim of one of the leaver's leads, forced into each interleaving with
 * checkpoints (see races.test.ts): whichever commits first, no open lead ends on the inactive user.
 * - the assignment waits for the deactivation (resolveOwner reads the new owner under a shared lock) and is refused;
 * - the deactivation waits for the assignment (its row lock on the user), then hands the just-assigned lead on;
 * - the deactivation waits for the claim (hand-over locks the leaver's leads), then hands the claimed lead on.
 * MariaDB/MySQL only: on SQLite `Tx` queues transactions, so none can interleave.
 */
describe.skipIf(!process.env.TEST_MYSQL_URL)('people races: deactivation vs assignment and claim [mysql]', () => {
  const h = new Harness('mysql', 0);
  beforeAll(() => h.start(), 120_000);
  afterAll(() => h.stop(), 60_000);

  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const id = async (name: string) => (await h.user(name)).id;
  let phone = 13700000000;
  const leadOf = async (owner: string) =>
    ok(await h.req('POST', '/api/leads', { as: '系统管理员', body: { phone: String(++phone), channel: '抖音-202601直播', ownerId: await id(owner) } }), 'lead')
      .lead.id as number;
  const ownerOf = async (leadId: number) => {
    const [l] = await h.ds.query('SELECT ownerId FROM `lead` WHERE id = ?', [leadId]);
    return l.ownerId === null ? null : Number(l.ownerId);
  };
  const deactivate = async (name: string) => h.req('PATCH', `/api/users/${await id(name)}`, { as: '系统管理员', body: { active: false } });
  /** Open leads on inactive users, company-wide: the data-health check that must stay 0. */
  const onInactive = async () =>
    (await h.req('GET', '/api/data-health', { as: '系统管理员' })).body.checks.find((c: any) => c.key === 'leadsOwnedByInactiveUsers').count as number;

  it('deactivation first (held before commit), an assignment to the leaver meanwhile: the assignment waits and is refused', async () => {
    const lead = await leadOf('张敏');
    await h.token('李静');
    const [off, assign] = await holdAndRace(
      h,
      'tx:users.update:beforeCommit',
      () => deactivate('刘洋'),
      async () => h.req('PATCH', `/api/leads/${lead}`, { as: '李静', body: { ownerId: await id('刘洋') } }),
    );
    expect(off.status, off.text).toBe(200);
    expect(assign.status, assign.text).toBe(400);
    expect(assign.body.error.message).toContain('已停用');
    expect(await ownerOf(lead)).toBe(await id('张敏'));
    expect(await onInactive()).toBe(0);
  });

  it('an assignment to the leaver first (held before commit), the deactivation meanwhile: it waits, then hands the lead on', async () => {
    const lead = await leadOf('张敏');
    await h.token('李静');
    const [assign, off] = await holdAndRace(
      h,
      'tx:lead.update:beforeCommit',
      async () => h.req('PATCH', `/api/leads/${lead}`, { as: '李静', body: { ownerId: await id('陈晨') } }),
      () => deactivate('陈晨'),
    );
    expect(assign.status, assign.text).toBe(200);
    expect(off.status, off.text).toBe(200);
    expect(off.body.handover.leads).toBeGreaterThanOrEqual(1);
    expect(await ownerOf(lead)).toBeNull(); // on the rotation queue (the company's default leaver target)
    expect(await onInactive()).toBe(0);
  });

  it('a claim by the leaver first (held before commit), the deactivation meanwhile: it waits, then hands the claimed lead on', async () => {
    const lead = await leadOf('赵丽');
    await h.token('赵丽');
    const [claim, off] = await holdAndRace(
      h,
      'tx:lead.claim:beforeCommit',
      () => h.req('POST', `/api/leads/${lead}/claim`, { as: '赵丽' }),
      () => deactivate('赵丽'),
    );
    expect(claim.status, claim.text).toBe(200);
    expect(off.status, off.text).toBe(200);
    const [row] = await h.ds.query('SELECT ownerId, claimedAt, status FROM `lead` WHERE id = ?', [lead]);
    expect(row).toMatchObject({ ownerId: null, claimedAt: null, status: 'pending' });
    expect(await onInactive()).toBe(0);
  });

  it('the deactivation first (held), the leaver claims meanwhile: the claim waits and finds the lead no longer theirs', async () => {
    const lead = await leadOf('孙悦');
    await h.token('孙悦');
    const [off, claim] = await holdAndRace(
      h,
      'tx:users.update:beforeCommit',
      () => deactivate('孙悦'),
      () => h.req('POST', `/api/leads/${lead}/claim`, { as: '孙悦' }),
    );
    expect(off.status, off.text).toBe(200);
    expect([401, 403, 404]).toContain(claim.status);
    expect(await ownerOf(lead)).toBeNull();
    expect(await onInactive()).toBe(0);
  });
});
