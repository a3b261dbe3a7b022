import type { DataSource, EntityManager } from 'typeorm';
import { dbKindOf } from './data-source';
import { isDeadlock, isUniqueViolation } from './errors';
import { NO_CHECKPOINTS, type Checkpoints, type TxLabel } from '../checkpoints';

/**
 * The isolation level of every MySQL/MariaDB transaction, set here and only here (`Tx` is the one way to open a
 * transaction; eslint forbids `DataSource.transaction` and `startTransaction` elsewhere).
 *
 * READ COMMITTED: every statement reads the newest committed rows, and a locking read (`FOR UPDATE`) returns the row
 * as it is once the lock is granted. Under REPEATABLE READ a transaction's plain reads keep the snapshot of its first
 * read, so code that locks a row and then reads related rows can compute from a state that is already gone (the
 * stale-fact race of issue 15). Business transactions lock the rows they change first; the projector locks the
 * derived rows it will write first, then reads the sources. READ COMMITTED also takes no gap locks on plain
 * inserts, so outbox rows and follow-ups from many writers never wait on each other.
 */
export const MYSQL_ISOLATION = 'READ COMMITTED' as const;

/**
 * One way to run a unit of work atomically on both databases.
 *
 * TypeORM's better-sqlite3 driver shares a single query runner, so two concurrent
 * `dataSource.transaction()` calls would silently nest (the second becomes a SAVEPOINT of the first).
 * SQLite has one writer anyway, so on SQLite we queue transactions; on MySQL they run in parallel.
 */
export class Tx {
  private tail: Promise<unknown> = Promise.resolve();
  readonly kind;

  constructor(private readonly ds: DataSource, private readonly checkpoints: Checkpoints = NO_CHECKPOINTS) {
    this.kind = dbKindOf(ds);
  }

  /** `label` names the transaction for race tests: they may hold it at `tx:<label>:beforeCommit`. */
  run<T>(work: (em: EntityManager) => Promise<T>, label?: TxLabel): Promise<T> {
    const unit = async (em: EntityManager): Promise<T> => {
      const result = await work(em);
      if (label) await this.checkpoints.reach(`tx:${label}:beforeCommit`);
      return result;
    };
    if (this.kind === 'mysql') return this.runMysql(unit);
    const next = this.tail.then(() => this.ds.transaction(unit));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runMysql<T>(unit: (em: EntityManager) => Promise<T>): Promise<T> {
    const qr = this.ds.createQueryRunner();
    try {
      await qr.startTransaction(MYSQL_ISOLATION);
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
   * Retry on a unique-key race (two requests creating the same customer or follow-up key) or a deadlock:
   * the loser's transaction is rolled back whole, and the retry finds the winner's row.
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
