import { randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { withRetries } from './retry';

/**
 * Whether a MySQL transaction committed when its connection was lost while COMMIT was on its way (a Galera node or the
 * server killed under it). Every unit writes one `commit_marker` row (a random id) in its transaction; after a lost COMMIT another
 * connection looks the row up. Found: the unit committed, and its result (already computed) is the answer. Not found:
 * nothing of the unit was written, so it is run again. On Galera the lookup is a causal read (`wsrep_sync_wait`, set on
 * every connection in data-source.ts): a write set the dead node had handed to the cluster is applied before it is read.
 */
export const COMMIT_MARKER_KEEP_MS = 15 * 60_000;
const SWEEP_BATCH = 5_000;

export async function writeCommitMarker(qr: QueryRunner): Promise<string> {
  const id = randomUUID();
  await qr.query('INSERT INTO commit_marker (id, at) VALUES (?, ?)', [id, Date.now()]);
  return id;
}

/** Looked up on a fresh pooled connection, under the retry policy (the node may still be failing over). */
export function committed(ds: DataSource, marker: string): Promise<boolean> {
  return withRetries(async () => ((await ds.query('SELECT 1 AS found FROM commit_marker WHERE id = ?', [marker])) as unknown[]).length > 0);
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
