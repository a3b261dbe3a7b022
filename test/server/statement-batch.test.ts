import { afterAll, beforeAll, expect, it } from 'vitest';
import { deferWrite, readMany } from '../../server/src/db/statement-batch';
import { isUniqueViolation } from '../../server/src/db/tx';
import { describeEachDb, Harness } from '../support/harness';

/**
 * Queued writes (MySQL: sent with the transaction's next statement) must behave exactly like writes sent at once:
 * seen by later reads, committed or rolled back with the transaction, and never mistaken for a caller's own race.
 */
describeEachDb('statement batching inside transactions', (kind) => {
  const h = new Harness(kind, 0);
  const value = async (k: number) => (await h.ds.query('SELECT v FROM batch_probe WHERE k = ?', [k]))[0]?.v ?? null;
  beforeAll(async () => {
    await h.start();
    await h.ds.query('CREATE TABLE batch_probe (k INT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL)');
    await h.ds.query("INSERT INTO batch_probe (k, v) VALUES (1, 'one')");
  }, 120_000);
  afterAll(() => h.stop(), 120_000);

  it('a queued write is seen by the reads after it and commits with the transaction', async () => {
    const seen = await h.app.tx.run(async (em) => {
      await deferWrite(em, 'UPDATE batch_probe SET v = ? WHERE k = ?', ['uno', 1]);
      await deferWrite(em, 'INSERT INTO batch_probe (k, v) VALUES (?, ?)', [2, 'two']);
      const [a, b] = await readMany<{ v: string }>(em, [
        { sql: 'SELECT v FROM batch_probe WHERE k = ?', params: [1] },
        { sql: 'SELECT v FROM batch_probe WHERE k = ?', params: [2] },
      ]);
      return [a[0].v, b[0].v];
    });
    expect(seen).toEqual(['uno', 'two']);
    expect([await value(1), await value(2)]).toEqual(['uno', 'two']);
  });

  it('a failing queued write fails the whole transaction: nothing before it stays', async () => {
    const run = h.app.tx.run(async (em) => {
      await deferWrite(em, 'UPDATE batch_probe SET v = ? WHERE k = ?', ['changed', 1]);
      await deferWrite(em, 'INSERT INTO batch_probe (k, v) VALUES (?, ?)', [2, 'again']); // k = 2 exists
      await em.query('SELECT 1 AS x');
    });
    await expect(run).rejects.toThrow();
    expect([await value(1), await value(2)]).toEqual(['uno', 'two']);
  });

  it("a queued write's unique violation is not taken for the caller's own race", async () => {
    let tookForRace: boolean | undefined;
    const run = h.app.tx.run(async (em) => {
      await deferWrite(em, 'INSERT INTO batch_probe (k, v) VALUES (?, ?)', [1, 'dup']); // k = 1 exists
      try {
        await em.query('INSERT INTO batch_probe (k, v) VALUES (?, ?)', [3, 'three']);
      } catch (err) {
        tookForRace = isUniqueViolation(err);
        if (tookForRace) return; // what a caller handling its own race would do
        throw err;
      }
    });
    await expect(run).rejects.toThrow();
    expect(tookForRace).not.toBe(true);
    expect(await value(3)).toBeNull();
  });

  it("the caller's own unique-key race is still recognised, and the queued writes before it stay", async () => {
    let race = false;
    await h.app.tx.run(async (em) => {
      await deferWrite(em, 'UPDATE batch_probe SET v = ? WHERE k = ?', ['eins', 1]);
      try {
        await em.query('INSERT INTO batch_probe (k, v) VALUES (?, ?)', [2, 'dup']);
      } catch (err) {
        race = isUniqueViolation(err);
        if (!race) throw err;
      }
    });
    expect(race).toBe(true);
    expect([await value(1), await value(2)]).toEqual(['eins', 'two']);
  });

  it('commit hooks run side by side: each gets its own read, and their writes commit together', async () => {
    const got: Record<string, string> = {};
    await h.app.tx.run(async (em) => {
      await deferWrite(em, 'UPDATE batch_probe SET v = ? WHERE k = ?', ['one', 1]);
      for (const k of [1, 2]) {
        await h.app.tx.beforeCommit(em, `probe:${k}`, async () => {
          const [row] = await em.query('SELECT v FROM batch_probe WHERE k = ?', [k]);
          got[k] = row.v;
          await deferWrite(em, 'INSERT INTO batch_probe (k, v) VALUES (?, ?)', [10 + k, `${row.v}-copy`]);
        });
      }
    });
    expect(got).toEqual({ 1: 'one', 2: 'two' });
    expect([await value(11), await value(12)]).toEqual(['one-copy', 'two-copy']);
  });
});
