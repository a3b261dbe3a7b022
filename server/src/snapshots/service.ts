import { randomUUID } from 'node:crypto';
import { In, LessThan } from 'typeorm';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { Company } from '../companies/company.entity';
import { Snapshot } from './snapshot.entity';
import { claimSnapshot, writeSnapshot } from './writer';
import type { SnapshotStore } from './store';

export interface SnapshotPolicy {
  /** How often each company gets one (SNAPSHOT_INTERVAL, default 2 h); 0 = only on demand. */
  intervalMs: number;
  /** How long a snapshot is kept (SNAPSHOT_RETENTION, default 72 h); the newest usable one is always kept. */
  retentionMs: number;
}

export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { intervalMs: 2 * 3600_000, retentionMs: 72 * 3600_000 };

const view = (s: Snapshot) => ({
  id: s.id,
  trigger: s.trigger,
  status: s.status,
  usable: s.status === 'complete',
  takenAt: s.takenAt,
  startedAt: s.startedAt,
  finishedAt: s.finishedAt,
  sizeBytes: s.sizeBytes === null ? null : Number(s.sizeBytes),
  rowCounts: s.rowCounts,
  sha256: s.sha256,
  error: s.error,
});

export class Snapshots {
  constructor(
    private readonly app: AppContext,
    readonly store: SnapshotStore,
    readonly policy: SnapshotPolicy = DEFAULT_SNAPSHOT_POLICY,
  ) {}

  async list(actor: Actor) {
    assertCan(actor, 'data.undo');
    const rows = await this.app.ds.getRepository(Snapshot).find({ where: { companyId: actor.companyId }, order: { startedAt: 'DESC', id: 'DESC' }, take: 200 });
    return { intervalMs: this.policy.intervalMs, retentionMs: this.policy.retentionMs, items: rows.filter((r) => r.status !== 'expired').map(view) };
  }

  /** One now, for the caller's company (before a risky change, or for a drill). */
  async takeNow(actor: Actor) {
    assertCan(actor, 'data.undo');
    const claimed = await claimSnapshot(this.app, actor.companyId, 'manual', `manual:${randomUUID()}`, actor.id);
    return view(await writeSnapshot(this.app, this.store, claimed!));
  }

  /** The schedule: each company whose interval slot has no snapshot yet gets one (one process wins each slot). */
  async runDue(): Promise<number> {
    if (!this.policy.intervalMs) return 0;
    const now = this.app.clock.now();
    const slot = `schedule:${Math.floor(now / this.policy.intervalMs)}`;
    let written = 0;
    for (const c of await this.app.ds.getRepository(Company).find({ select: { id: true } })) {
      const claimed = await claimSnapshot(this.app, c.id, 'schedule', slot, null);
      if (!claimed) continue;
      await writeSnapshot(this.app, this.store, claimed);
      written++;
    }
    return written;
  }

  /**
   * Housekeeping: a `writing` row whose lease ran out was cut off by a crash (failed, its `.part` removed); complete
   * snapshots past retention are removed, except each company's newest usable one.
   */
  async sweep(): Promise<{ failed: number; expired: number }> {
    const now = this.app.clock.now();
    const repo = this.app.ds.getRepository(Snapshot);
    const dead = await repo.findBy({ status: 'writing', leaseUntil: LessThan(now) });
    for (const s of dead) {
      const moved = await repo.update(
        { id: s.id, status: 'writing' },
        { status: 'failed', error: '写入中断（进程退出或崩溃），此快照不可用', finishedAt: now, leaseUntil: null },
      );
      if (moved.affected) await this.store.remove(s.file);
    }
    const old = await repo.findBy({ status: In(['complete', 'failed']), startedAt: LessThan(now - this.policy.retentionMs) });
    let expired = 0;
    for (const s of old) {
      const newest = await repo.findOne({ where: { companyId: s.companyId, status: 'complete' }, order: { takenAt: 'DESC' } });
      if (newest?.id === s.id) continue;
      await this.store.remove(s.file);
      await repo.update({ id: s.id }, { status: 'expired' });
      expired++;
    }
    return { failed: dead.length, expired };
  }
}
