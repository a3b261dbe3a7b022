import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';

/** The isolation level is chosen once (db/data-source.ts, MYSQL_ISOLATION) and holds on every pooled connection. */
describeEachDb('transaction isolation', (kind) => {
  const h = new Harness(kind, 5);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it.runIf(kind === 'mysql')('every transaction runs at READ COMMITTED, on every connection of the pool', async () => {
    const level = async (q: (sql: string) => Promise<Record<string, unknown>[]>) => {
      // MySQL 8 names it transaction_isolation; MariaDB 10.x tx_isolation.
      const [row] = await q('SELECT @@SESSION.transaction_isolation AS v').catch(() => q('SELECT @@SESSION.tx_isolation AS v'));
      return String(row.v);
    };
    // More transactions at once than the pool has connections (10): every connection is opened and reused.
    const seen = await Promise.all(
      Array.from({ length: 25 }, () =>
        h.app.tx.run(async (em) => {
          const [{ id }] = await em.query('SELECT CONNECTION_ID() AS id');
          await em.query('SELECT SLEEP(0.02)');
          return { id: Number(id), level: await level((sql) => em.query(sql)) };
        }),
      ),
    );
    expect(new Set(seen.map((s) => s.level))).toEqual(new Set(['READ-COMMITTED']));
    expect(new Set(seen.map((s) => s.id)).size).toBeGreaterThan(5);
  });
});
