import 'reflect-metadata';
import path from 'node:path';
import fs from 'node:fs';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from './migrations';

export type DbKind = 'sqlite' | 'mysql';

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
      // multipleStatements: transactions send queued writes with their next statement (see statement-batch.ts);
      // values still go through placeholders only.
      extra: { connectionLimit: opts.poolSize ?? 20, waitForConnections: true, trace: false, multipleStatements: true },
    };
  }
  return new DataSource(options);
}

export function dbKindOf(ds: DataSource): DbKind {
  return ds.options.type === 'mysql' ? 'mysql' : 'sqlite';
}
