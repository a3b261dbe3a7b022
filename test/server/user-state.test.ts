import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import { migrate } from '../../server/src/db/migrate';
import { seedDemo } from '../../server/src/demo/seed';
import { UserStates } from '../../server/src/auth/user-state';
import { describeEachDb, freshDatabase, TEST_NOW } from '../support/harness';

/** The write-time user check (auth middleware): grouped under load, yet never answered by a read older than the request. */
describeEachDb('user states for write requests', (kind) => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  let companyId = 0;
  let users: { id: number; name: string }[] = [];
  beforeAll(async () => {
    ({ ds, drop } = await freshDatabase(kind));
    await migrate(ds);
    companyId = (await seedDemo(ds, { now: TEST_NOW, leads: 5 })).companyId;
    users = (await ds.query("SELECT id, name FROM app_user WHERE role = 'rep' AND active = 1 ORDER BY id")).map((u: any) => ({
      id: Number(u.id),
      name: u.name,
    }));
  });
  afterAll(() => drop());

  it('writes arriving while a check is in flight share one statement, each with its own answer', async () => {
    const states = new UserStates(ds);
    const spy = vi.spyOn(ds, 'query');
    try {
      const asks = [...users, ...users, { id: 999999, name: 'nobody' }];
      const got = await Promise.all(asks.map((u) => states.get(u.id, companyId)));
      expect(spy.mock.calls.length).toBeLessThanOrEqual(2); // the first alone, everything after it together
      expect(got.slice(0, -1).every((s) => s?.active === true && s.deleted === false)).toBe(true);
      expect(got.at(-1)).toBeNull();
      expect(await states.get(users[0].id, companyId + 1000)).toBeNull(); // a token's company must match
    } finally {
      spy.mockRestore();
    }
  });

  it('a deactivation committed while an earlier check is in flight is seen by every check that arrives after it', async () => {
    const states = new UserStates(ds);
    const query = ds.query.bind(ds);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    // The first read is held in flight (as if the database were slow) until the deactivation has committed.
    const spy = vi.spyOn(ds, 'query').mockImplementation((async (sql: string, params?: unknown[]) => {
      if (first) {
        first = false;
        const rows = await query(sql, params);
        await gate;
        return rows;
      }
      return query(sql, params);
    }) as typeof ds.query);
    const target = users[1];
    try {
      const before = states.get(target.id, companyId); // its read ran before the change
      await query('UPDATE app_user SET active = 0, authVersion = authVersion + 1 WHERE id = ?', [target.id]);
      const after = states.get(target.id, companyId); // arrives after the change, while the first read is in flight
      release();
      expect((await before)?.active).toBe(true);
      expect(await after).toMatchObject({ active: false });
    } finally {
      spy.mockRestore();
      await query('UPDATE app_user SET active = 1 WHERE id = ?', [target.id]);
    }
  });
});
