import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { migrate } from '../../server/src/db/migrate';
import { MIGRATIONS } from '../../server/src/db/migrations';
import { describeEachDb, freshDatabase } from '../support/harness';

/** Every registered migration, in order (each capability adds its own file). */
const ALL = MIGRATIONS.map((M) => new M().name as string);

describeEachDb('migrations', (kind) => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ ds, drop } = await freshDatabase(kind)));
  afterAll(() => drop());

  it('apply on an empty database, then report nothing pending', async () => {
    expect(ALL[0]).toBe('InitialSchema1700000000000');
    expect(await migrate(ds)).toEqual(ALL);
    expect(await migrate(ds)).toEqual([]);
  });

  it('enforce foreign keys (no orphan rows) and the one-customer-per-phone rule', async () => {
    await expect(
      ds.query(
        "INSERT INTO `lead` (companyId, customerId, channel, status, journeyNode, score, scoreBreakdown, createdAt, updatedAt) VALUES (999, 999, 'x', 'pending', '线索获取', 0, '[]', 1, 1)",
      ),
    ).rejects.toThrow(/foreign key/i);
    await ds.query("INSERT INTO company (id, name, settings, createdAt) VALUES (500, 'fk-test', '{}', 1)");
    const cust = "INSERT INTO customer (companyId, phone, concerns, tags, createdAt, updatedAt) VALUES (500, '13800138000', '[]', '[]', 1, 1)";
    await ds.query(cust);
    await expect(ds.query(cust)).rejects.toThrow(/unique|duplicate/i);
    // RESTRICT, not CASCADE: a company with customers cannot be hard-deleted out from under them.
    await expect(ds.query('DELETE FROM company WHERE id = 500')).rejects.toThrow(/foreign key/i);
    await ds.query('DELETE FROM customer WHERE companyId = 500');
    await ds.query('DELETE FROM company WHERE id = 500');
  });

  it('store Chinese text and 4-byte characters intact', async () => {
    await ds.query("INSERT INTO company (name, settings, createdAt) VALUES (?, '{}', 1)", ['苏州园区中心😀']);
    const [row] = await ds.query('SELECT name FROM company WHERE createdAt = 1');
    expect(row.name).toBe('苏州园区中心😀');
  });

  it('roll back down and up again without error', async () => {
    await ds.undoLastMigration({ transaction: 'each' });
    expect(await ds.query('SELECT COUNT(*) AS n FROM migrations').then((r) => Number(r[0].n))).toBe(ALL.length - 1);
    expect(await migrate(ds)).toEqual([ALL.at(-1)]);
  });
});
