import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { dbKindOf } from './kind';

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
  em: EntityManager,
  target: EntityTarget<T>,
  id: number,
  opts: { lock?: boolean } = {},
): Promise<T | null> {
  const m = meta(em, target);
  const lock = opts.lock && dbKindOf(em) === 'mysql';
  const key = `select:${m.tableName}:${lock ? 1 : 0}`;
  let sql = cache.get(key);
  if (!sql) {
    sql = `SELECT ${m.columns.map((c) => q(c.databaseName)).join(', ')} FROM ${q(m.tableName)} WHERE ${q(m.primaryColumns[0].databaseName)} = ?${lock ? ' FOR UPDATE' : ''}`;
    cache.set(key, sql);
  }
  const [raw] = (await em.query(sql, [id])) as Record<string, unknown>[];
  return raw ? toEntity<T>(m, raw) : null;
}

/**
 * One row matching every `where` property as an entity, or null (`null` values match IS NULL); `lock` takes its write
 * lock until commit (MySQL). For hot-path lookups by a unique key, without the query builder.
 */
export async function findOneWhere<T extends ObjectLiteral>(
  em: EntityManager,
  target: EntityTarget<T>,
  where: Partial<Record<keyof T & string, unknown>>,
  opts: { lock?: boolean } = {},
): Promise<T | null> {
  const m = meta(em, target);
  const props = Object.keys(where);
  const lock = opts.lock && dbKindOf(em) === 'mysql';
  const key = `where:${m.tableName}:${props.map((p) => `${p}${where[p as keyof T & string] === null ? '~' : ''}`).join(',')}:${lock ? 1 : 0}`;
  let sql = cache.get(key);
  if (!sql) {
    const conds = props.map((p) => `${q(column(m, p).databaseName)} ${where[p as keyof T & string] === null ? 'IS NULL' : '= ?'}`);
    sql = `SELECT ${m.columns.map((c) => q(c.databaseName)).join(', ')} FROM ${q(m.tableName)} WHERE ${conds.join(' AND ')} LIMIT 1${lock ? ' FOR UPDATE' : ''}`;
    cache.set(key, sql);
  }
  const params = props.filter((p) => where[p as keyof T & string] !== null).map((p) => toDb(column(m, p), where[p as keyof T & string]));
  const [raw] = (await em.query(sql, params)) as Record<string, unknown>[];
  return raw ? toEntity<T>(m, raw) : null;
}

/** Rows by id as entities, by id; `lock` takes their write locks in id order (one statement). */
export async function findByIds<T extends ObjectLiteral & { id: number }>(
  em: EntityManager,
  target: EntityTarget<T>,
  ids: number[],
  opts: { lock?: boolean } = {},
): Promise<Map<number, T>> {
  const out = new Map<number, T>();
  if (!ids.length) return out;
  const m = meta(em, target);
  const lock = opts.lock && dbKindOf(em) === 'mysql';
  const pk = q(m.primaryColumns[0].databaseName);
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const sql = `SELECT ${m.columns.map((c) => q(c.databaseName)).join(', ')} FROM ${q(m.tableName)} WHERE ${pk} IN (${sorted.map(() => '?').join(', ')}) ORDER BY ${pk}${lock ? ' FOR UPDATE' : ''}`;
  for (const raw of (await em.query(sql, sorted)) as Record<string, unknown>[]) {
    const entity = toEntity<T>(m, raw);
    out.set(Number(entity.id), entity);
  }
  return out;
}

function toEntity<T>(m: EntityMetadata, raw: Record<string, unknown>): T {
  const entity = m.create() as Record<string, unknown>;
  for (const c of m.columns) entity[c.propertyName] = fromDb(c, raw[c.databaseName]);
  return entity as T;
}

/** INSERT one row (the properties given) and set its generated id. */
export async function insertRow<T extends ObjectLiteral & { id: number }>(em: EntityManager, target: EntityTarget<T>, row: T): Promise<T> {
  const m = meta(em, target);
  const props = Object.keys(row).filter((p) => p !== 'id' && row[p] !== undefined);
  const result = (await em.query(insertSql(m, props, 1), valuesOf(m, props, [row]))) as { insertId?: number | bigint } | number | bigint;
  // mysql2 answers a ResultSetHeader; TypeORM's better-sqlite3 driver answers the new row id for an INSERT.
  const id = Number(typeof result === 'object' && result !== null ? result.insertId : result);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`insert into ${m.tableName} returned no id`);
  row.id = id as T['id'];
  return row;
}

/**
 * INSERT rows (the same properties in each) in one statement on MySQL and set their generated ids, read back by the
 * rows' unique key (`uniqueKey`: the properties of a unique index, all set in every row) in one more statement.
 * The ids are never derived from the first insertId: on a Galera cluster `auto_increment_increment` follows the
 * cluster's size and changes on every session when a node leaves or joins, so `insertId + k × step` names other
 * rows (docs/operations.md). SQLite (no round trip to save) inserts them one by one.
 */
export async function insertRows<T extends ObjectLiteral & { id: number }>(
  em: EntityManager,
  target: EntityTarget<T>,
  rows: T[],
  uniqueKey: readonly (keyof T & string)[],
): Promise<void> {
  const m = meta(em, target);
  const props = rows.length ? Object.keys(rows[0]).filter((p) => p !== 'id' && rows[0][p] !== undefined) : [];
  const same = rows.every(
    (r) => props.every((p) => r[p] !== undefined) && Object.keys(r).filter((p) => p !== 'id' && r[p] !== undefined).length === props.length,
  );
  if (rows.length < 2 || dbKindOf(em) !== 'mysql' || !same) {
    for (const r of rows) await insertRow(em, target, r);
    return;
  }
  const result = (await em.query(insertSql(m, props, rows.length), valuesOf(m, props, rows))) as { affectedRows?: number };
  if (result.affectedRows !== rows.length) throw new Error(`insert into ${m.tableName}: ${rows.length} rows, ${String(result.affectedRows)} affected`);
  const ids = await idsByKey(em, m, rows, uniqueKey);
  rows.forEach((r, i) => {
    r.id = ids[i] as T['id'];
  });
}

/** The ids of `rows` (just written, in this transaction) by their unique key, in the rows' order. */
async function idsByKey<T extends ObjectLiteral>(em: EntityManager, m: EntityMetadata, rows: T[], uniqueKey: readonly string[]): Promise<number[]> {
  const cols = uniqueKey.map((p) => column(m, p));
  const keyOf = (values: unknown[]) => JSON.stringify(values.map((v) => (v === null || v === undefined ? null : String(v))));
  const wanted = rows.map((r) => cols.map((c, i) => toDb(c, r[uniqueKey[i]])));
  const pk = q(m.primaryColumns[0].databaseName);
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  const found = (await em.query(
    `SELECT ${pk} AS id, ${cols.map((c) => q(c.databaseName)).join(', ')} FROM ${q(m.tableName)}
     WHERE (${cols.map((c) => q(c.databaseName)).join(', ')}) IN (${rows.map(() => tuple).join(', ')})`,
    wanted.flat(),
  )) as Record<string, unknown>[];
  const byKey = new Map(found.map((f) => [keyOf(cols.map((c) => f[c.databaseName])), Number(f.id)]));
  return wanted.map((w) => {
    const id = byKey.get(keyOf(w));
    if (id === undefined) throw new Error(`insert into ${m.tableName}: a row's id was not found by its unique key (${uniqueKey.join(', ')})`);
    return id;
  });
}

function insertSql(m: EntityMetadata, props: string[], rows: number): string {
  const key = `insert:${m.tableName}:${props.join(',')}:${rows}`;
  let sql = cache.get(key);
  if (!sql) {
    const cols = props.map((p) => column(m, p));
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    sql = `INSERT INTO ${q(m.tableName)} (${cols.map((c) => q(c.databaseName)).join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
    if (rows <= 64) cache.set(key, sql);
  }
  return sql;
}

function valuesOf<T extends ObjectLiteral>(m: EntityMetadata, props: string[], rows: T[]): unknown[] {
  const cols = props.map((p) => column(m, p));
  return rows.flatMap((r) => cols.map((c, i) => toDb(c, r[props[i]])));
}

/** UPDATE one row by id. */
async function updateById<T extends ObjectLiteral>(em: EntityManager, target: EntityTarget<T>, id: number, patch: Partial<T>): Promise<void> {
  const m = meta(em, target);
  const props = Object.keys(patch).filter((p) => patch[p] !== undefined);
  if (!props.length) return;
  const cols = props.map((p) => column(m, p));
  const key = `update:${m.tableName}:${props.join(',')}`;
  let sql = cache.get(key);
  if (!sql) {
    sql = `UPDATE ${q(m.tableName)} SET ${cols.map((c) => `${q(c.databaseName)} = ?`).join(', ')} WHERE ${q(m.primaryColumns[0].databaseName)} = ?`;
    cache.set(key, sql);
  }
  await em.query(sql, [...cols.map((c, i) => toDb(c, patch[props[i]])), id]);
}

/**
 * UPDATE several rows by id in one statement per set of properties (`SET c = CASE id WHEN … THEN … END`): a group of
 * saves updates its leads together. One row alone is a plain `updateById`.
 */
export async function updateManyById<T extends ObjectLiteral>(
  em: EntityManager,
  target: EntityTarget<T>,
  rows: { id: number; patch: Partial<T> }[],
): Promise<void> {
  const m = meta(em, target);
  const groups = new Map<string, { props: string[]; rows: { id: number; patch: Partial<T> }[] }>();
  for (const r of rows) {
    const props = Object.keys(r.patch)
      .filter((p) => r.patch[p] !== undefined)
      .sort();
    if (!props.length) continue;
    const key = props.join(',');
    const g = groups.get(key) ?? { props, rows: [] };
    g.rows.push(r);
    groups.set(key, g);
  }
  const pk = q(m.primaryColumns[0].databaseName);
  for (const { props, rows: group } of groups.values()) {
    if (group.length === 1) {
      await updateById(em, target, group[0].id, group[0].patch);
      continue;
    }
    const cols = props.map((p) => column(m, p));
    const whens = group.map(() => 'WHEN ? THEN ?').join(' ');
    const sql = `UPDATE ${q(m.tableName)} SET ${cols.map((c) => `${q(c.databaseName)} = CASE ${pk} ${whens} END`).join(', ')}
      WHERE ${pk} IN (${group.map(() => '?').join(', ')})`;
    const params = cols.flatMap((c, i) => group.flatMap((r) => [r.id, toDb(c, r.patch[props[i]])]));
    await em.query(sql, [...params, ...group.map((r) => r.id)]);
  }
}

/** INSERT rows (same properties in each) in one statement: ids given in the rows are kept, generated ones are not read. */
export async function insertRowsPlain<T extends ObjectLiteral>(em: EntityManager, target: EntityTarget<T>, rows: Partial<T>[]): Promise<void> {
  if (!rows.length) return;
  const m = meta(em, target);
  const props = Object.keys(rows[0]).filter((p) => rows[0][p] !== undefined);
  const odd = rows.find((r) => Object.keys(r).filter((p) => r[p] !== undefined).length !== props.length || props.some((p) => r[p] === undefined));
  if (odd) throw new Error(`insert into ${m.tableName}: rows of one statement must set the same columns`);
  const cols = props.map((p) => column(m, p));
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  const sql = `INSERT INTO ${q(m.tableName)} (${cols.map((c) => q(c.databaseName)).join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`;
  await em.query(
    sql,
    rows.flatMap((r) => cols.map((c, i) => toDb(c, r[props[i]]))),
  );
}
