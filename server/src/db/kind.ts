import { DataSource, type EntityManager } from 'typeorm';

/** The one name for the SQL dialect in use. */
export type DbKind = 'sqlite' | 'mysql';

/** The dialect of a data source or of a transaction's manager: branch on this, never on driver option strings. */
export function dbKindOf(x: DataSource | EntityManager): DbKind {
  const ds = x instanceof DataSource ? x : x.connection;
  return ds.options.type === 'mysql' ? 'mysql' : 'sqlite';
}

/** ` FOR UPDATE` on MySQL/MariaDB; nothing on SQLite, where the one writer already holds the database. */
export function forUpdate(em: EntityManager): string {
  return dbKindOf(em) === 'mysql' ? ' FOR UPDATE' : '';
}

/** ` LOCK IN SHARE MODE` on MySQL/MariaDB (both spell it so): readers share, a writer of the row waits for them. */
export function forShare(em: EntityManager): string {
  return dbKindOf(em) === 'mysql' ? ' LOCK IN SHARE MODE' : '';
}
