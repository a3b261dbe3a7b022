import { classifyDatabaseError } from '../http/db-unavailable';

/**
 * The one retry policy for units of work on MySQL, MariaDB, a Galera cluster (and, by number, TiDB): which failures
 * mean "the unit did not happen, or happened and is idempotent: run it again", and how long to wait between runs.
 *
 * - `conflict`: the engine rolled the transaction back for another one: 1213 (deadlock; on Galera also a
 *   certification failure at any statement or at COMMIT, including a duplicate key inserted on another node), 1205
 *   (lock wait timeout), TiDB's 9007 (write conflict) / 8028 (schema changed under the transaction) / 8002.
 * - `node`: the database node cannot take the unit right now: 1047 (WSREP not ready: a non-Primary node), 1180 (error
 *   during COMMIT), the connection refused, reset or lost before COMMIT: the unit did not happen, run it again.
 *
 * Waits are "full jitter" exponential backoff (a random wait up to base × 2^attempt, capped), so units that conflicted
 * with each other do not collide again in step. A run of retries ends after RETRY.budgetMs (longer than a node's
 * failover: ≈ 6 s of cluster stall plus ≈ 2 s of health checks), or RETRY.attempts runs.
 *
 * A connection lost while COMMIT was on its way is retried only once Tx has found that the unit did not commit
 * (db/commit-marker.ts); when no node can tell within the budget, Tx marks it given up (503).
 */
export type RetryReason = 'conflict' | 'node';

export const RETRY = { attempts: 40, baseMs: 15, capMs: 1_000, budgetMs: 10_000 } as const;

const CONFLICT_ERRNOS = new Set([1213, 1205, 9007, 8028, 8002]);
const CONFLICT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

function errnoOf(err: unknown): number | undefined {
  const e = err as { errno?: unknown; driverError?: { errno?: unknown } } | null;
  const n = e?.driverError?.errno ?? e?.errno;
  return typeof n === 'number' ? n : undefined;
}

function codeOf(err: unknown): string {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const c = e?.driverError?.code ?? e?.code;
  return typeof c === 'string' ? c : '';
}

/** Why this failure may be retried, or null when it may not (a fault in the request or the code). */
export function retryReasonOf(err: unknown): RetryReason | null {
  const errno = errnoOf(err);
  if ((errno !== undefined && CONFLICT_ERRNOS.has(errno)) || CONFLICT_CODES.has(codeOf(err))) return 'conflict';
  // The node away (1047/1180, connections refused or lost…): http/db-unavailable.ts lists them, for the 503 as well.
  if (classifyDatabaseError(err) === 'unavailable') return 'node';
  return null;
}

/** The wait before run `attempt + 1` (attempt ≥ 1): uniformly random up to min(cap, base × 2^(attempt−1)). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(RETRY.capMs, RETRY.baseMs * 2 ** (attempt - 1)));
}

/** An error at COMMIT that says the transaction was rolled back (Galera: 1180 failed commit, 1047 non-Primary). */
export function rolledBackAtCommit(err: unknown): boolean {
  const errno = errnoOf(err);
  return errno === 1180 || errno === 1047;
}

/** Marks an error whose unit was already run again under this policy until it gave up (not to be retried again). */
const GAVE_UP = Symbol('retries exhausted');
export function markGaveUp(err: unknown): void {
  if (typeof err === 'object' && err !== null) (err as Record<symbol, unknown>)[GAVE_UP] = true;
}
export function gaveUp(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[GAVE_UP] === true;
}

export interface RetryOptions {
  /** Also retry these (e.g. a unique-key race whose rerun finds the winner's row). */
  also?: (err: unknown) => boolean;
  /** Told of every retry (reason and attempt) before its wait: logs and metrics. */
  onRetry?: (reason: RetryReason | 'also', attempt: number, err: unknown) => void;
  /** Told when a run of retries ends without success (attempts made, time spent): logs. */
  onGiveUp?: (reason: RetryReason | 'also', attempts: number, elapsedMs: number, err: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `unit` under the policy: retried on a retryable failure with jittered backoff, until attempts or budget run out. */
export async function withRetries<T>(unit: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await unit();
    } catch (err) {
      const reason = gaveUp(err) ? null : (retryReasonOf(err) ?? (opts.also?.(err) ? 'also' : null));
      if (!reason) throw err;
      const wait = backoffMs(attempt);
      if (attempt >= RETRY.attempts || now() - started + wait > RETRY.budgetMs) {
        opts.onGiveUp?.(reason, attempt, now() - started, err);
        markGaveUp(err);
        throw err;
      }
      opts.onRetry?.(reason, attempt, err);
      await sleep(wait);
    }
  }
}
