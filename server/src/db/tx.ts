import type { DataSource, EntityManager } from 'typeorm';
import { dbKindOf } from './kind';
import { isDeadlock, isUniqueViolation } from './errors';
import { NO_CHECKPOINTS, type Checkpoints, type TxLabel } from '../checkpoints';

/**
 * One way to run a unit of work atomically on both databases.
 *
 * TypeORM's better-sqlite3 driver shares a single query runner, so two concurrent
 * `dataSource.transaction()` calls would silently nest (the second becomes a SAVEPOINT of the first).
 * SQLite has one writer anyway, so on SQLite we queue transactions; on MySQL they run in parallel, at READ COMMITTED
 * (`MYSQL_ISOLATION` in data-source.ts says why).
 */
const DEADLOCK_ATTEMPTS = 3;

export class Tx {
  private tail: Promise<unknown> = Promise.resolve();
  readonly kind;

  constructor(
    private readonly ds: DataSource,
    private readonly checkpoints: Checkpoints = NO_CHECKPOINTS,
  ) {
    this.kind = dbKindOf(ds);
  }

  /**
   * `label` names the transaction for race tests: they may hold it at `tx:<label>:beforeCommit`. A deadlock victim
   * (InnoDB rolled the whole transaction back) is run again, up to DEADLOCK_ATTEMPTS times: the unit did nothing, and
   * answering 503 to a request that did nothing wrong is worse than running it again. Units do no I/O but the database.
   */
  run<T>(work: (em: EntityManager) => Promise<T>, label?: TxLabel): Promise<T> {
    const unit = async (em: EntityManager): Promise<T> => {
      const result = await work(em);
      if (label) await this.checkpoints.reach(`tx:${label}:beforeCommit`);
      return result;
    };
    if (this.kind === 'mysql') return this.runMysqlRetryingDeadlocks(unit);
    const next = this.tail.then(() => this.ds.transaction(unit));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runMysqlRetryingDeadlocks<T>(unit: (em: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runMysql(unit);
      } catch (err) {
        if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlock(err)) throw err;
      }
    }
  }

  private async runMysql<T>(unit: (em: EntityManager) => Promise<T>): Promise<T> {
    const qr = this.ds.createQueryRunner();
    try {
      await qr.startTransaction(); // at MYSQL_ISOLATION: every connection is set to it as it opens (data-source.ts)
      const result = await unit(qr.manager);
      await qr.commitTransaction();
      return result;
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await qr.release();
    }
  }

  /**
   * A read of many statements that sees one moment of the database, for snapshots. On MySQL a READ ONLY transaction
   * WITH CONSISTENT SNAPSHOT at REPEATABLE READ on its own connection: it takes no locks, so saves go on while it reads.
   * SQLite has one connection and one writer: the read is queued like a transaction and holds the writer while it runs.
   * `work` may do file I/O (it is never retried).
   */
  async readConsistent<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind !== 'mysql') return this.run(work);
    const qr = this.ds.createQueryRunner();
    try {
      await qr.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await qr.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const result = await work(qr.manager);
      await qr.query('COMMIT');
      return result;
    } catch (err) {
      await qr.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await qr.release();
    }
  }

  /**
   * Also retry on a unique-key race (two requests creating the same customer or follow-up key): the loser's
   * transaction is rolled back whole, and the retry finds the winner's row.
   */
  async runRetryingUnique<T>(work: (em: EntityManager) => Promise<T>, label?: TxLabel, attempts = 3): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await this.run(work, label);
      } catch (err) {
        if (i >= attempts || !(isUniqueViolation(err) || isDeadlock(err))) throw err;
      }
    }
  }
}

export { isDeadlock, isUniqueViolation } from './errors';
