import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryOf } from '../../server/src/directory';
import { Harness } from '../support/harness';
import { holdAndRace } from '../support/interleave';
import { MemoryDirectory } from '../support/memory-directory';

/**
 * A full sync's apply and a contact-change event of the same company, forced into both orders with checkpoints: the
 * second waits for the first (the company row lock taken before either reads the org), then plans against what the
 * first committed, so no unit or user is created twice and the event ends `done`.
 * MariaDB/MySQL only: on SQLite `Tx` queues transactions, so none can interleave.
 */
describe.skipIf(!process.env.TEST_MYSQL_URL)('directory races: full sync vs event [mysql]', () => {
  const h = new Harness('mysql', 0);
  const dir = new MemoryDirectory('wecom', 'ww-race');
  beforeAll(async () => {
    await h.start();
    dir.dept('10', '1', '苏州中心').dept('11', '10', '中考组');
    dir.member('a1', '甲一', ['11']);
    await h.ds.query('UPDATE company SET wecomCorpId = ? WHERE id = ?', ['ww-race', h.seed.companyId]);
    h.app.platformOverrides = { directory: () => dir };
  }, 120_000);
  afterAll(() => h.stop(), 60_000);

  const units = (externalId: string) => h.count('org_unit', 'companyId = ? AND externalId = ?', [h.seed.companyId, externalId]);
  const users = (wecomUserId: string) => h.count('app_user', 'companyId = ? AND wecomUserId = ?', [h.seed.companyId, wecomUserId]);
  const event = (key: string, fields: Record<string, string>) =>
    h.app.platformEvents.wecom({ MsgType: 'event', Event: 'change_contact', ToUserName: 'ww-race', ...fields }, { dedupeKey: key });
  const eventStates = async () => (await h.ds.query('SELECT state FROM directory_event ORDER BY id')).map((r: { state: string }) => r.state);

  it('the sync applies first (held before commit); an event for a member of a department it creates waits, then finds it', async () => {
    const started = await h.req('POST', '/api/directory/sync', { as: '系统管理员', body: {} });
    await event('r1', { ChangeType: 'create_user', UserID: 'a1' });
    await holdAndRace(
      h,
      'tx:directory.apply:beforeCommit',
      () => directoryOf(h.app).syncWorker.tick(),
      () => directoryOf(h.app).eventWorker.tick(),
    );
    expect((await h.req('GET', `/api/directory/sync/${started.body.id}`, { as: '系统管理员' })).body.status).toBe('applied');
    expect(await units('10')).toBe(1);
    expect(await units('11')).toBe(1);
    expect(await users('a1')).toBe(1);
    expect(await eventStates()).toEqual(['done']);
  });

  it('the event applies first (held before commit); the sync waits, then plans against it: one unit, one user', async () => {
    dir.dept('20', '1', '无锡中心').dept('21', '20', '小学组');
    dir.member('b1', '乙一', ['21']);
    await event('r2', { ChangeType: 'create_user', UserID: 'b1' });
    const started = await h.req('POST', '/api/directory/sync', { as: '系统管理员', body: {} });
    await holdAndRace(
      h,
      'tx:directory.event:beforeCommit',
      () => directoryOf(h.app).eventWorker.tick(),
      () => directoryOf(h.app).syncWorker.tick(),
    );
    const run = (await h.req('GET', `/api/directory/sync/${started.body.id}`, { as: '系统管理员' })).body;
    expect(run.status).toBe('applied');
    expect(await units('20')).toBe(1);
    expect(await units('21')).toBe(1);
    expect(await users('b1')).toBe(1);
    expect(await eventStates()).toEqual(['done', 'done']);
  });
});
