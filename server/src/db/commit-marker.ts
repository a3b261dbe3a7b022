import { randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { withRetries } from './retry';
import { isUniqueViolation } from './errors';

/**
 * Whether a MySQL transaction committed when its connection was lost while COMMIT was on its way (a Galera node or the
 * server killed under it). Every unit writes one `commit_marker` row (a random id) in its transaction; after a lost COMMIT another
 * connection settles it with a fence (`committed`). Committed: the unit's result (already computed) is the answer. Not
 * committed: nothing of the unit was written, and it never will be, so it is run again.
 */
export const COMMIT_MARKER_KEEP_MS = 15 * 60_000;
const SWEEP_BATCH = 5_000;

export async function writeCommitMarker(qr: QueryRunner): Promise<string> {
  const id = randomUUID();
  await qr.query('INSERT INTO commit_marker (id, at) VALUES (?, ?)', [id, Date.now()]);
  return id;
}

/**
 * Settled on a fresh pooled connection, under the retry policy (the node may still be failing over), by a **fence**, not a
 * look: the same marker is inserted in a transaction of its own. A duplicate key means the unit committed. Success means
 * it never will: on one server the insert waits for a COMMIT still in flight (the orphan's row lock), and on Galera
 * the two write sets of one key cannot both certify — so a plain read that misses a COMMIT about to land cannot lead
 * to the unit being applied twice.
 */
export function committed(ds: DataSource, marker: string): Promise<boolean> {
  return withRetries(async () => {
    try {
      await ds.query('INSERT INTO commit_marker (id, at) VALUES (?, ?)', [marker, Date.now()]);
      return false;
    } catch (err) {
      if (isUniqueViolation(err)) return true;
      throw err;
    }
  });
}

/** Markers are needed for seconds: rows older than COMMIT_MARKER_KEEP_MS go, in batches (one small write set each). */
export async function sweepCommitMarkers(ds: DataSource, now = Date.now()): Promise<number> {
  let removed = 0;
  for (;;) {
    const r = (await ds.query('DELETE FROM commit_marker WHERE at < ? LIMIT ' + SWEEP_BATCH, [now - COMMIT_MARKER_KEEP_MS])) as { affectedRows?: number };
    removed += r.affectedRows ?? 0;
    if ((r.affectedRows ?? 0) < SWEEP_BATCH) return removed;
  }
}
