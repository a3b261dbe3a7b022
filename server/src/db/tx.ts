import type { DataSource, EntityManager } from 'typeorm';
import { dbKindOf } from './data-source';

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

  constructor(private readonly ds: DataSource) {
    this.kind = dbKindOf(ds);
  }

  run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'mysql') return this.ds.transaction(work);
    const next = this.tail.then(() => this.ds.transaction(work));
    this.tail = next.catch(() => undefined);
    return next;
  }

  /**
   * Retry once on a unique-key race (two requests creating the same customer or follow-up key):
   * the loser's transaction is rolled back whole, and the retry finds the winner's row.
   */
  async runRetryingUnique<T>(work: (em: EntityManager) => Promise<T>, attempts = 3): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await this.run(work);
      } catch (err) {
        if (i >= attempts || !(isUniqueViolation(err) || isDeadlock(err))) throw err;
      }
    }
  }
}

function codeOf(err: unknown): string {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code ?? '';
}

export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isDeadlock(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY';
}
