import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { deferWrite } from './statement-batch';

/**
 * Row reads and writes by primary key for the hot paths (every follow-up save), from TypeORM's own entity metadata
 * (column names, transformers) but without its query builder, which cost ≈ 0.1 ms of CPU per statement to build
 * and alias a query we can write once per entity and column set. SQL is cached per shape.
 */
const cache = new Map<string, string>();
type ColumnMetadata = EntityMetadata['columns'][number];
const q = (name: string) => `\`${name}\``;

function meta(em: EntityManager, target: EntityTarget<ObjectLiteral>): EntityMetadata {
  return em.connection.getMetadata(target);
}

function column(m: EntityMetadata, property: string): ColumnMetadata {
  const c = m.findColumnWithPropertyName(property);
  if (!c) throw new Error(`${m.name} has no column ${property}`);
  return c;
}

/** The value as the database stores it (the column's transformer applied). */
function toDb(c: ColumnMetadata, value: unknown): unknown {
  const t = c.transformer;
  if (!t) return value;
  return Array.isArray(t) ? t.reduce((v, x) => x.to(v), value) : t.to(value);
}

function fromDb(c: ColumnMetadata, value: unknown): unknown {
  const t = c.transformer;
  if (!t) return value;
  return Array.isArray(t) ? [...t].reverse().reduce((v, x) => x.from(v), value) : t.from(value);
}

/** One row by id as an entity, or null; `lock` takes the row's write lock until commit (MySQL). */
export async function findById<T extends ObjectLiteral>(
  em: EntityManager, target: EntityTarget<T>, id: number, opts: { lock?: boolean } = {},
): Promise<T | null> {
  const m = meta(em, target);
  const lock = opts.lock && em.connection.options.type === 'mysql';
  const key = `select:${m.tableName}:${lock ? 1 : 0}`;
  let sql = cache.get(key);
  if (!sql) {
    sql = `SELECT ${m.columns.map((c) => q(c.databaseName)).join(', ')} FROM ${q(m.tableName)} WHERE ${q(m.primaryColumns[0].databaseName)} = ?${lock ? ' FOR UPDATE' : ''}`;
    cache.set(key, sql);
  }
  const [raw] = (await em.query(sql, [id])) as Record<string, unknown>[];
  if (!raw) return null;
  const entity = m.create() as T;
  for (const c of m.columns) (entity as Record<string, unknown>)[c.propertyName] = fromDb(c, raw[c.databaseName]);
  return entity;
}

/** INSERT one row (the properties given) and set its generated id. */
export async function insertRow<T extends ObjectLiteral & { id: number }>(em: EntityManager, target: EntityTarget<T>, row: T): Promise<T> {
  const m = meta(em, target);
  const props = Object.keys(row).filter((p) => p !== 'id' && row[p] !== undefined);
  const cols = props.map((p) => column(m, p));
  const key = `insert:${m.tableName}:${props.join(',')}`;
  let sql = cache.get(key);
  if (!sql) {
    sql = `INSERT INTO ${q(m.tableName)} (${cols.map((c) => q(c.databaseName)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    cache.set(key, sql);
  }
  const result = (await em.query(sql, cols.map((c, i) => toDb(c, row[props[i]])))) as { insertId?: number | bigint } | number | bigint;
  // mysql2 answers a ResultSetHeader; TypeORM's better-sqlite3 driver answers the new row id for an INSERT.
  const id = Number(typeof result === 'object' && result !== null ? result.insertId : result);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`insert into ${m.tableName} returned no id`);
  row.id = id as T['id'];
  return row;
}

/** UPDATE one row by id; queued with the transaction's next statement (see statement-batch.ts). */
export function updateById<T extends ObjectLiteral>(em: EntityManager, target: EntityTarget<T>, id: number, patch: Partial<T>): Promise<void> {
  const m = meta(em, target);
  const props = Object.keys(patch).filter((p) => patch[p] !== undefined);
  if (!props.length) return Promise.resolve();
  const cols = props.map((p) => column(m, p));
  const key = `update:${m.tableName}:${props.join(',')}`;
  let sql = cache.get(key);
  if (!sql) {
    sql = `UPDATE ${q(m.tableName)} SET ${cols.map((c) => `${q(c.databaseName)} = ?`).join(', ')} WHERE ${q(m.primaryColumns[0].databaseName)} = ?`;
    cache.set(key, sql);
  }
  return deferWrite(em, sql, [...cols.map((c, i) => toDb(c, patch[props[i]])), id]);
}

/** INSERT rows (same properties in each) whose generated ids nobody reads; queued like `updateById`. */
export function insertRowsLater<T extends ObjectLiteral>(em: EntityManager, target: EntityTarget<T>, rows: Partial<T>[]): Promise<void> {
  if (!rows.length) return Promise.resolve();
  const m = meta(em, target);
  const props = Object.keys(rows[0]).filter((p) => p !== 'id' && rows[0][p] !== undefined);
  const cols = props.map((p) => column(m, p));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  const sql = `INSERT INTO ${q(m.tableName)} (${cols.map((c) => q(c.databaseName)).join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`;
  return deferWrite(em, sql, rows.flatMap((r) => cols.map((c, i) => toDb(c, r[props[i]]))));
}
