import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { AppContext } from '../context';
import { Snapshot, type SnapshotTrigger } from './snapshot.entity';
import { SNAPSHOT_TABLES, TableHashes, pagesOf } from './tables';
import type { SnapshotHeader } from './format';
import type { SnapshotStore } from './store';
import { doneOutside } from '../db/tx';

/** A writer renews its lease this often; a `writing` row whose lease ran out belongs to a dead process. */
export const SNAPSHOT_LEASE_MS = 5 * 60_000;

/**
 * Claims a snapshot slot for the company: the row that makes the slot taken, so a schedule firing in several processes
 * writes one file. Null when the slot is taken.
 */
export async function claimSnapshot(app: AppContext, companyId: number, trigger: SnapshotTrigger, slot: string, createdBy: number | null) {
  const now = app.clock.now();
  const row = app.ds.getRepository(Snapshot).create({
    companyId,
    slot,
    trigger,
    status: 'writing',
    file: `company-${companyId}/${new Date(now).toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.jsonl.gz`,
    takenAt: null,
    startedAt: now,
    finishedAt: null,
    leaseUntil: now + SNAPSHOT_LEASE_MS,
    sizeBytes: null,
    rowCounts: null,
    checksums: null,
    sha256: null,
    error: null,
    createdBy,
  });
  try {
    await app.ds.getRepository(Snapshot).insert(row);
    doneOutside(); // claimed outside a transaction: a rerun would claim a second snapshot
    return row;
  } catch (err) {
    if ((await app.ds.getRepository(Snapshot).countBy({ companyId, slot })) > 0) return null;
    throw err;
  }
}

/**
 * Writes the claimed snapshot: one consistent read of the company's business tables streamed through gzip into
 * `<file>.part`, hashed per table and as bytes, then synced and renamed; only then is the row marked complete.
 */
export async function writeSnapshot(app: AppContext, store: SnapshotStore, snap: Snapshot): Promise<Snapshot> {
  const repo = app.ds.getRepository(Snapshot);
  try {
    const out = await store.open(snap.file);
    const gzip = createGzip({ level: 6 });
    const fileHash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        fileHash.update(chunk);
        done(null, chunk);
      },
    });
    const flushed = pipeline(gzip, tap, out);
    const write = async (line: string) => {
      if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
    };
    const hashes = new TableHashes();
    const takenAt = await app.tx.readConsistent(async (em) => {
      const at = app.clock.now();
      const header: SnapshotHeader = {
        format: 'lifeline-snapshot',
        version: 1,
        companyId: snap.companyId,
        takenAt: at,
        tables: SNAPSHOT_TABLES.map((t) => t.name),
      };
      await write(JSON.stringify(header));
      for (const t of SNAPSHOT_TABLES) {
        for await (const page of pagesOf(em, t.name, t.target, snap.companyId)) {
          // A page is one write: one yield to the event loop per page, not per row, keeps a busy server's snapshot moving.
          await write(page.map((row) => (hashes.add(t.name, row), JSON.stringify({ t: t.name, r: row }))).join('\n'));
          await app.checkpoints.reach('snapshot:page');
          await repo.update({ id: snap.id, status: 'writing' }, { leaseUntil: app.clock.now() + SNAPSHOT_LEASE_MS });
        }
      }
      return at;
    });
    const names = SNAPSHOT_TABLES.map((t) => t.name);
    const rowCounts = Object.fromEntries(names.map((n) => [n, hashes.counts[n] ?? 0]));
    const checksums = hashes.digests(names);
    await write(JSON.stringify({ end: true, rowCounts, checksums }));
    gzip.end();
    await flushed;
    const sizeBytes = await store.commit(snap.file);
    const done = {
      status: 'complete' as const,
      takenAt,
      finishedAt: app.clock.now(),
      leaseUntil: null,
      sizeBytes,
      rowCounts,
      checksums,
      sha256: fileHash.digest('hex'),
    };
    const moved = await repo.update({ id: snap.id, status: 'writing' }, done);
    if (!moved.affected) throw new Error('snapshot row is no longer writing (swept as failed while this process stalled)');
    return Object.assign(snap, done);
  } catch (err) {
    await store.remove(snap.file).catch(() => undefined);
    const error = (err instanceof Error ? err.message : String(err)).slice(0, 250);
    await repo.update({ id: snap.id, status: 'writing' }, { status: 'failed', error, finishedAt: app.clock.now(), leaseUntil: null });
    throw err;
  }
}
