import type { DataSource } from 'typeorm';

/** Applies pending migrations, each in its own transaction, and reports what ran. */
export async function migrate(ds: DataSource): Promise<string[]> {
  const ran = await ds.runMigrations({ transaction: 'each' });
  return ran.map((m) => m.name);
}

/**
 * The schema as a server starts. The embedded SQLite file has one process: it migrates itself. On MySQL, MariaDB or a
 * Galera cluster several servers start at once and DDL blocks a whole cluster while it runs: migrations run once, by
 * `npm run migrate`, before the servers of a new version start (docs/operations.md); `behind` says the server must
 * not start.
 */
export async function prepareSchema(ds: DataSource, kind: 'sqlite' | 'mysql'): Promise<{ ran: string[]; behind: boolean }> {
  if (kind === 'sqlite') return { ran: await migrate(ds), behind: false };
  return { ran: [], behind: await ds.showMigrations() };
}

/** For the command-line tools: the schema ready (SQLite: migrated now), or an error saying to run `npm run migrate`. */
export async function ensureSchema(ds: DataSource, kind: 'sqlite' | 'mysql'): Promise<void> {
  if ((await prepareSchema(ds, kind)).behind) {
    throw new Error('the database schema is behind this version: run `npm run migrate` once (same DATABASE_URL) first');
  }
}
