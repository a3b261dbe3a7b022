import { randomBytes } from 'node:crypto';
import type { AppContext } from '../context';

/** A lease holder name unique to this process and claim, so a stolen (expired) lease is recognisable. */
export function leaseName(prefix: string): string {
  return `${prefix}:${process.pid}:${randomBytes(6).toString('hex')}`;
}

/**
 * Claims up to `limit` due rows of `table` for this holder: a conditional UPDATE per candidate batch, so
 * two processes racing for the same row cannot both win (the row lock serialises the UPDATE, and the
 * loser's WHERE no longer matches). Returns the ids this holder now owns.
 */
export async function claimDue(
  app: AppContext, table: 'alarm_timer' | 'alarm_message', dueColumn: 'dueAt' | 'nextAttemptAt',
  holder: string, now: number, leaseMs: number, limit: number,
): Promise<number[]> {
  const candidates: { id: number }[] = await app.ds.query(
    `SELECT id FROM ${table} WHERE state = 'pending' AND ${dueColumn} <= ? AND (leaseUntil IS NULL OR leaseUntil < ?)
      ORDER BY ${dueColumn}, id LIMIT ${Number(limit)}`,
    [now, now],
  );
  if (!candidates.length) return [];
  const ids = candidates.map((c) => Number(c.id));
  const marks = ids.map(() => '?').join(',');
  await app.tx.runRetryingUnique((em) => em.query(
    `UPDATE ${table} SET leaseOwner = ?, leaseUntil = ? WHERE id IN (${marks}) AND state = 'pending'
      AND (leaseUntil IS NULL OR leaseUntil < ?)`,
    [holder, now + leaseMs, ...ids, now],
  ));
  const mine: { id: number }[] = await app.ds.query(
    `SELECT id FROM ${table} WHERE id IN (${marks}) AND leaseOwner = ? AND state = 'pending' ORDER BY ${dueColumn}, id`,
    [...ids, holder],
  );
  return mine.map((m) => Number(m.id));
}
