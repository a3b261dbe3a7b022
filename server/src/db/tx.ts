import type { DataSource, EntityManager } from 'typeorm';
import { dbKindOf } from './data-source';
import { isDeadlock, isUniqueViolation } from './errors';
import { installBatching, sideBySide } from './statement-batch';
import { NO_CHECKPOINTS, type Checkpoints, type TxLabel } from '../checkpoints';

/** Work queued to run once at the end of a transaction, keyed so it is queued once (see `deferToCommit`). */
const pending = new WeakMap<EntityManager, Map<string, () => Promise<void>>>();

/**
 * Runs `hook` once, just before the transaction of `em` commits, however many times it is queued under `key`.
 * Outside a transaction started by `Tx.run`, it runs at once. For code that holds an EntityManager but no Tx.
 */
export async function deferToCommit(em: EntityManager, key: string, hook: () => Promise<void>): Promise<void> {
  const hooks = pending.get(em);
  if (!hooks) return hook();
  if (!hooks.has(key)) hooks.set(key, hook);
}

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
      pending.set(em, new Map());
      try {
        const result = await work(em);
        // Hooks are independent (audit, alarm timers, metrics): side by side, their reads share a round trip.
        // They may queue more hooks (rarely); run until none is left.
        for (let hooks = pending.get(em)!; hooks.size; ) {
          const batch = [...hooks.values()];
          hooks.clear();
          await sideBySide(em, batch);
        }
        if (label) await this.checkpoints.reach(`tx:${label}:beforeCommit`);
        return result;
      } finally {
        pending.delete(em);
      }
    };
    if (this.kind === 'mysql') return this.runBatching(unit);
    const next = this.tail.then(() => this.ds.transaction(unit));
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** What `DataSource.transaction` does, on a query runner that sends deferred writes with the next statement. */
  private async runBatching<T>(unit: (em: EntityManager) => Promise<T>): Promise<T> {
    const qr = this.ds.createQueryRunner();
    installBatching(qr);
    try {
      await qr.startTransaction();
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
   * Runs `hook` once, just before the transaction of `em` commits, however many times it is queued under `key`
   * (e.g. refresh the metrics of every lead touched by several events of one change, once). Outside a
   * transaction started by `run`, it runs at once.
   */
  beforeCommit(em: EntityManager, key: string, hook: () => Promise<void>): Promise<void> {
    return deferToCommit(em, key, hook);
  }

  /**
   * Retry once on a unique-key race (two requests creating the same customer or follow-up key):
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
