import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * INSERT one row and set its generated id, without TypeORM's follow-up SELECT: on MySQL it re-reads every
 * column that has a database default after each insert, even when the row supplies the value.
 */
export async function insertOne<T extends ObjectLiteral & { id: number }>(em: EntityManager, target: EntityTarget<T>, row: T): Promise<T> {
  const result = await em.createQueryBuilder().insert().into(target).values(row as never).updateEntity(false).execute();
  const raw = result.raw as { insertId?: number | bigint } | number | bigint;
  row.id = Number(typeof raw === 'object' && raw !== null ? raw.insertId : raw);
  if (!Number.isSafeInteger(row.id) || row.id <= 0) throw new Error('insert returned no id');
  return row;
}
