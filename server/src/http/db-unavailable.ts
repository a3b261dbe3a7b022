/**
 * Is this error the database being away (connection refused or lost, pool closed, SQLite busy/locked, a MariaDB lock
 * wait or deadlock that outlived its retries) rather than a fault in the request or the code? Such a request may
 * simply be retried later: it is answered 503 with Retry-After (middleware.ts), which the sidebar's outbox treats as
 * "keep the entry and resend".
 */
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_SERVER_GONE_ERROR',
  'ER_SERVER_LOST',
  'ER_TOO_MANY_USER_CONNECTIONS',
  // Row-lock contention (errno 1205 / 1213): the transaction was rolled back whole, so resending it is safe.
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
]);
/**
 * By number (driver code names vary): a Galera node that is not part of the Primary component answers 1047 ("WSREP has
 * not yet prepared node for application use") to every table access, and 1180 when a COMMIT fails there; 1053 server
 * shutdown, 1927 connection killed, 2006/2013 server gone / connection lost.
 */
const ERRNOS = new Set([1047, 1180, 1053, 1927, 2006, 2013]);
const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED)/;
/**
 * SQLite's file itself unusable: disk full, I/O error, file gone or unopenable, not (or no longer) a database,
 * read-only. Deliberately NOT transient: waiting does not fix any of these, a person has to (free the disk, restore
 * the file, fix permissions). Still answered 503 — the service is unavailable, the request was fine, and the sidebar
 * keeps a follow-up on the device rather than losing it — but without Retry-After and with its own code
 * (`db_storage_failed`) and a message that says to contact the administrator, so no client is told "try again in
 * 5 s" for ever.
 */
const SQLITE_STORAGE = /^SQLITE_(FULL|IOERR|CANTOPEN|NOTADB|CORRUPT|READONLY)/;
const MESSAGES =
  /database connection is not open|Connection is not established with|Pool is closed|connection is in closed state|Connection lost: The server closed/i;

export type DatabaseFailure = 'unavailable' | 'storage';

/** 'unavailable' (transient: 503 + Retry-After), 'storage' (needs an administrator: 503, no Retry-After), or null. */
export function classifyDatabaseError(err: unknown): DatabaseFailure | null {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown; driverError?: { code?: unknown; errno?: unknown; message?: unknown } } | null;
  if (!e || typeof e !== 'object') return null;
  const codes = [e.code, e.driverError?.code].filter((c): c is string => typeof c === 'string');
  if (codes.some((c) => SQLITE_STORAGE.test(c))) return 'storage';
  if (codes.some((c) => CODES.has(c) || SQLITE_TRANSIENT.test(c))) return 'unavailable';
  if ([e.errno, e.driverError?.errno].some((n) => typeof n === 'number' && ERRNOS.has(n))) return 'unavailable';
  return MESSAGES.test(`${String(e.message ?? '')} ${String(e.driverError?.message ?? '')}`) ? 'unavailable' : null;
}

/** Seconds a client is asked to wait before retrying while the database is away. */
export const DB_RETRY_AFTER_SECONDS = 5;
