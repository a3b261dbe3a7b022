import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { dbKindOf } from './kind';
import { isUniqueViolation } from './errors';
import { markGaveUp, retryReasonOf, rolledBackAtCommit, withRetries, type RetryReason } from './retry';
import { NO_CHECKPOINTS, type Checkpoints, type TxLabel } from '../checkpoints';
import { logger } from '../logger';
import { committed, writeCommitMarker } from './commit-marker';

/**
 * One way to run a unit of work atomically on both databases.
 *
 * TypeORM's better-sqlite3 driver shares a single query runner, so two concurrent
 * `dataSource.transaction()` calls would silently nest (the second becomes a SAVEPOINT of the first).
 * SQLite has one writer anyway, so on SQLite we queue transactions; on MySQL they run in parallel, at READ COMMITTED
 * (`MYSQL_ISOLATION` in data-source.ts says why), each under the one retry policy of db/retry.ts.
 */

/**
 * What the code running inside `countingCommits` (a request) has done that a rerun would do again: units of work
 * committed, calls to other systems, writes outside a transaction (`doneOutside`). http/retry-requests.ts reruns a
 * request whose database failed under it only while this is still 0.
 */
const commitsOfCaller = new AsyncLocalStorage<{ units: number }>();
export async function countingCommits<T>(work: () => Promise<T>): Promise<{ value: T } | { error: unknown; committed: number }> {
  const seen = { units: 0 };
  try {
    return { value: await commitsOfCaller.run(seen, work) };
  } catch (error) {
    return { error, committed: seen.units };
  }
}

/** The count of the request running this code, if any. */
export const callerCommits = (): { units: number } | undefined => commitsOfCaller.getStore();

/**
 * Tells the running request (if any) that something happened a rerun would repeat: a call to a platform, an LLM, a
 * partner or a store, a write outside `Tx`. Called where those calls are made (platformFetch, the LLM client…).
 */
export function doneOutside(): void {
  const seen = commitsOfCaller.getStore();
  if (seen) seen.units++;
}

/** Runs `work` outside any caller's count: work shared by several requests (group commit) counts for each itself. */
export const outsideCallers = <T>(work: () => T): T => commitsOfCaller.exit(work);

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
   * `label` names the transaction for race tests: they may hold it at `tx:<label>:beforeCommit`. On MySQL a unit the
   * engine rolled back (deadlock, Galera certification failure, lock wait) or that lost its node (1047/1180, the
   * connection lost before COMMIT was acknowledged and the unit found not to have committed: db/commit-marker.ts) is run
   * again under the retry policy (db/retry.ts): units do no I/O but the database, and answering 503 to a request that
   * did nothing wrong is worse.
   */
  run<T>(work: (em: EntityManager) => Promise<T>, label?: TxLabel): Promise<T> {
    return this.runUnit(work, label);
  }

  private runUnit<T>(work: (em: EntityManager) => Promise<T>, label: TxLabel | undefined, also?: (err: unknown) => boolean): Promise<T> {
    const unit = async (em: EntityManager): Promise<T> => {
      const result = await work(em);
      if (label) await this.checkpoints.reach(`tx:${label}:beforeCommit`);
      return result;
    };
    const onRetry = (reason: RetryReason | 'also', attempt: number, err: unknown) => logRetry(label, reason, attempt, err);
    const onGiveUp = (reason: RetryReason | 'also', attempts: number, ms: number, err: unknown) =>
      logger.warn({ tx: label, reason, attempts, ms, code: codeOf(err) }, 'transaction given up after its retries');
    const run = this.kind === 'mysql' ? () => this.runMysql(unit, label) : () => this.queued(unit);
    return withRetries(run, { also, onRetry, onGiveUp }).then((result) => {
      const seen = commitsOfCaller.getStore();
      if (seen) seen.units++;
      return result;
    });
  }

  /** SQLite: one unit at a time (the driver's single query runner would nest concurrent transactions). */
  private queued<T>(unit: (em: EntityManager) => Promise<T>): Promise<T> {
    const next = this.tail.then(() => this.ds.transaction(unit));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runMysql<T>(unit: (em: EntityManager) => Promise<T>, label: TxLabel | undefined): Promise<T> {
    const qr = this.ds.createQueryRunner();
    try {
      await qr.startTransaction(); // at MYSQL_ISOLATION: every connection is set to it as it opens (data-source.ts)
      const marker = await writeCommitMarker(qr); // commits with the unit, or not at all
      const result = await unit(qr.manager);
      try {
        await qr.commitTransaction();
        if (label) await this.checkpoints.reach(`tx:${label}:afterCommit`); // tests: the acknowledgement lost on its way
      } catch (err) {
        // 1213/1180/1047 at COMMIT: rolled back, the policy runs it again. The connection lost while COMMIT was on its
        // way: the marker says whether it committed (then this run's result is the answer) or not (then run it again).
        if (retryReasonOf(err) !== 'node' || rolledBackAtCommit(err)) throw err;
        const landed = await committed(this.ds, marker).catch(() => {
          markGaveUp(err); // no node answers within the budget: 503, the client resends with its key
          throw err;
        });
        logger.warn({ tx: label }, landed ? 'connection lost at COMMIT: it had committed' : 'connection lost at COMMIT: not committed, run again');
        if (!landed) throw err;
      }
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
    if (this.kind !== 'mysql') return this.queued(work); // never retried: `work` writes files
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
   * transaction is rolled back whole, and the rerun finds the winner's row. (On Galera the same race between two nodes
   * arrives as a 1213 at COMMIT, which `run` already retries.)
   */
  runRetryingUnique<T>(work: (em: EntityManager) => Promise<T>, label?: TxLabel): Promise<T> {
    return this.runUnit(work, label, isUniqueViolation);
  }
}

function codeOf(err: unknown): unknown {
  const e = err as { code?: unknown; errno?: unknown; driverError?: { code?: unknown; errno?: unknown } };
  return e?.driverError?.code ?? e?.code ?? e?.driverError?.errno ?? e?.errno;
}

function logRetry(label: TxLabel | undefined, reason: RetryReason | 'also', attempt: number, err: unknown): void {
  logger.debug({ tx: label, reason, attempt, code: codeOf(err) }, 'transaction retried');
}

export { isDeadlock, isUniqueViolation } from './errors';
