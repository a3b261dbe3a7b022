/**
 * Is this error the database being away (connection refused or lost, pool closed, SQLite busy/locked or its file
 * unusable) rather than a fault in the request or the code? Such a request may simply be retried later: it is
 * answered 503 with Retry-After (middleware.ts), which the sidebar's outbox treats as "keep the entry and resend".
 */
const CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_SERVER_GONE_ERROR', 'ER_SERVER_LOST', 'ER_TOO_MANY_USER_CONNECTIONS',
]);
const SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|NOTADB)/;
const MESSAGES = /database connection is not open|Connection is not established with|Pool is closed|connection is in closed state|Connection lost: The server closed/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; driverError?: { code?: unknown; message?: unknown } } | null;
  if (!e || typeof e !== 'object') return false;
  for (const code of [e.code, e.driverError?.code]) {
    if (typeof code === 'string' && (CODES.has(code) || SQLITE.test(code))) return true;
  }
  return MESSAGES.test(`${String(e.message ?? '')} ${String(e.driverError?.message ?? '')}`);
}

/** Seconds a client is asked to wait before retrying while the database is away. */
export const DB_RETRY_AFTER_SECONDS = 5;
