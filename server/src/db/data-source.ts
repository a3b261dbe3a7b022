import 'reflect-metadata';
import path from 'node:path';
import fs from 'node:fs';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from './migrations';
import { logger } from '../logger';

import type { DbKind } from './kind';

export { dbKindOf, forUpdate, type DbKind } from './kind';

export interface DbTarget {
  kind: DbKind;
  /** mysql://user:pass@host:port/db, or a SQLite file path (':memory:' allowed in tests). */
  url: string;
}

/** `DATABASE_URL` unset → embedded SQLite file, so one command runs the product on a fresh machine. */
export function resolveDbTarget(databaseUrl: string | undefined, sqlitePath: string): DbTarget {
  if (!databaseUrl) return { kind: 'sqlite', url: sqlitePath };
  if (/^mysql:\/\/|^mariadb:\/\//.test(databaseUrl)) {
    return { kind: 'mysql', url: databaseUrl.replace(/^mariadb:/, 'mysql:') };
  }
  if (databaseUrl.startsWith('sqlite:')) return { kind: 'sqlite', url: databaseUrl.slice('sqlite:'.length) };
  throw new Error('DATABASE_URL must start with mysql:// (or sqlite:<file>)');
}

/**
 * The isolation level of every MySQL/MariaDB transaction, set here and only here: on each pooled connection as it
 * opens (`IsolatedDataSource`), so no transaction pays a round trip for it. `Tx` (db/tx.ts) is the one way to open a
 * transaction; eslint forbids `DataSource.transaction` and `startTransaction` elsewhere.
 *
 * READ COMMITTED: every statement reads the newest committed rows, and a locking read (`FOR UPDATE`) returns the row
 * as it is once the lock is granted. Under REPEATABLE READ (the server default) a transaction's plain reads keep the
 * snapshot of its first read, so code that locks a row and then reads related rows can compute from a state that is
 * already gone (the stale-fact race of issue 15). Business transactions lock the rows they change first; the
 * projector locks the derived rows it will write first, then reads the sources. READ COMMITTED also takes no gap
 * locks, so outbox rows and follow-ups inserted by many writers never wait on each other.
 */
export const MYSQL_ISOLATION = 'READ COMMITTED';

interface PoolWithEvents {
  on(event: 'connection', listener: (conn: { query(sql: string, done: (err: Error | null) => void): unknown }) => void): void;
}

/**
 * Read-your-writes on a Galera cluster: a node applies other nodes' writes a moment after they commit, so a read on
 * node B right after a write on node A (the next request of the same person, through another server) may not see it.
 * `wsrep_sync_wait = 1` makes every read wait until the node has applied everything committed before it started
 * (≈ 1 ms per read, measured in galera.md). Set on every connection when the server is a Galera node (`wsrep_on`);
 * a single MariaDB/MySQL has nothing to wait for.
 */
const GALERA_SESSION = 'SET SESSION wsrep_sync_wait = 1';

/** A DataSource whose MySQL connections all run at MYSQL_ISOLATION (and read their writes on Galera). */
class IsolatedDataSource extends DataSource {
  override async initialize(): Promise<this> {
    await super.initialize();
    if (this.options.type !== 'mysql') return this;
    const galera = await isGaleraNode(this);
    const session = [`SET SESSION TRANSACTION ISOLATION LEVEL ${MYSQL_ISOLATION}`, ...(galera ? [GALERA_SESSION] : [])];
    // Connections opened from now on, before they serve anything (a connection runs its commands in order)…
    (this.driver as unknown as { pool: PoolWithEvents }).pool.on('connection', (conn) =>
      session.forEach((sql) => void conn.query(sql, (err) => err && logger.error({ err, sql }, 'session setting failed'))),
    );
    // …and the one the driver opened to check the server, the pool's only connection so far.
    for (const sql of session) await this.query(sql);
    return this;
  }
}

/** Whether the server is a Galera cluster node (MySQL 8 has no `wsrep_on`: then not). */
async function isGaleraNode(ds: DataSource): Promise<boolean> {
  const rows = (await ds.query("SHOW VARIABLES LIKE 'wsrep_on'")) as { Value?: string }[];
  return rows[0]?.Value === 'ON';
}

export function createDataSource(target: DbTarget, opts: { logging?: boolean; poolSize?: number } = {}): DataSource {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: opts.logging ?? false,
  } as const;
  let options: DataSourceOptions;
  if (target.kind === 'sqlite') {
    if (target.url !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(target.url)), { recursive: true });
    options = {
      ...common,
      type: 'better-sqlite3',
      database: target.url,
      // WAL lets readers proceed while a write commits; foreign keys are off by default in SQLite.
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
        db.pragma('synchronous = NORMAL');
      },
    };
  } else {
    options = {
      ...common,
      type: 'mysql',
      url: target.url,
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      poolSize: opts.poolSize ?? 20,
      // trace: false — mysql2 otherwise captures a stack trace for every query (measurable CPU per request).
      extra: { connectionLimit: opts.poolSize ?? 20, waitForConnections: true, trace: false },
    };
  }
  return new IsolatedDataSource(options);
}
