import type { EntityManager } from 'typeorm';
import { dbKindOf } from '../db/kind';

/** `?, ?, ?` for a list. */
export const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Insert or update one row by a unique key, atomically on both databases (no read-then-write race).
 * `add` columns are incremented by the given value instead of overwritten.
 */
export async function upsertRow(
  em: EntityManager,
  table: string,
  conflictColumns: string[],
  row: Record<string, unknown>,
  opts: { add?: string[] } = {},
): Promise<void> {
  await upsertRows(em, table, conflictColumns, [row], opts);
}

/** `upsertRow` for many rows with the same columns, in statements of up to 200 rows. */
export async function upsertRows(
  em: EntityManager,
  table: string,
  conflictColumns: string[],
  rows: Record<string, unknown>[],
  opts: { add?: string[] } = {},
): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await upsertChunk(em, table, conflictColumns, rows.slice(i, i + 200), opts);
}

async function upsertChunk(
  em: EntityManager,
  table: string,
  conflictColumns: string[],
  rows: Record<string, unknown>[],
  opts: { add?: string[] },
): Promise<void> {
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const add = new Set(opts.add ?? []);
  const updatable = cols.filter((c) => !conflictColumns.includes(c));
  const quoted = (c: string) => `\`${c}\``;
  const values = rows.map(() => `(${marks(cols.length)})`).join(', ');
  const insert = `INSERT INTO \`${table}\` (${cols.map(quoted).join(', ')}) VALUES ${values}`;
  let sql: string;
  if (dbKindOf(em) === 'mysql') {
    const set = updatable.map((c) => (add.has(c) ? `${quoted(c)} = ${quoted(c)} + VALUES(${quoted(c)})` : `${quoted(c)} = VALUES(${quoted(c)})`));
    sql = `${insert} ON DUPLICATE KEY UPDATE ${set.join(', ')}`;
  } else {
    const set = updatable.map((c) => (add.has(c) ? `${quoted(c)} = ${quoted(c)} + excluded.${quoted(c)}` : `${quoted(c)} = excluded.${quoted(c)}`));
    sql = `${insert} ON CONFLICT (${conflictColumns.map(quoted).join(', ')}) DO UPDATE SET ${set.join(', ')}`;
  }
  await em.query(
    sql,
    rows.flatMap((row) => cols.map((c) => row[c])),
  );
}

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Plain multi-row INSERT (same columns in each row), in statements of up to 200 rows: a duplicate key fails it. */
export async function insertRows(em: EntityManager, table: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const cols = Object.keys(chunk[0]);
    await em.query(
      `INSERT INTO \`${table}\` (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES ${chunk.map(() => `(${marks(cols.length)})`).join(', ')}`,
      chunk.flatMap((row) => cols.map((c) => row[c])),
    );
  }
}
