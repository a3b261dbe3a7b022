import type { AppContext } from '../context';
import { logger } from '../logger';
import { leaseName } from '../db/lease-name';
import { forShare } from '../db/kind';
import type { LeadBatch, ProjectionStep } from './step';

interface Claimed {
  id: number;
  companyId: number;
  leadId: number;
  /** When the business transaction recorded the change (just before its commit). */
  createdAt: number;
}

/** Lag samples kept for the health endpoint: change recorded → its projection committed. */
const LAG_SAMPLES = 20_000;

interface ProjectorOptions {
  /** Changes claimed at once (one transaction per company among them). */
  batchSize?: number;
  /** How long a claim is this process's; a process killed mid-batch loses its claim after this. */
  leaseMs?: number;
  /** Idle poll interval: other processes' changes (and a dead process's claims) are found within this. */
  pollMs?: number;
}

const DEFAULTS = { batchSize: 200, leaseMs: 5_000, pollMs: 100 };
const MAX_BACKOFF_MS = 60_000;

/**
 * Turns committed lead changes (the `lead_change` outbox) into derived state. Any number of processes run one: each
 * claims a batch with a conditional UPDATE (a lease, as the alarm engine does), recomputes the batch's leads with
 * every step in one transaction, and deletes the changes it projected in that transaction. A process killed after
 * its claim leaves the rows to be retaken when the lease lapses; projecting a lead twice is harmless (steps
 * recompute from source rows, under locks). A lead whose projection throws is retried with backoff and reported
 * (`health()`, the log); it never holds back the others, and never fails the save that recorded it.
 */
export class Projector {
  private readonly opts: Required<ProjectorOptions>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  /** Since start: for the health endpoint and benchmarks. */
  readonly stats = { batches: 0, leads: 0, failures: 0, lastError: null as string | null, lastErrorAt: null as number | null };
  /** [projectedAt, lagMs] of this process's recent projections, oldest first. */
  private readonly lags: [number, number][] = [];

  constructor(
    private readonly app: AppContext,
    private readonly steps: ProjectionStep[],
    opts: ProjectorOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  start(): void {
    if (this.timer) return;
    const loop = async () => {
      try {
        // Busy: go again at once; idle: wait a poll interval.
        while ((await this.runOnce()) > 0 && this.timer) {
          /* keep draining */
        }
      } catch (err) {
        logger.error({ err }, 'projector pass failed');
      }
      if (this.timer) this.timer = setTimeout(loop, this.opts.pollMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Projects until no claimable change is left (tests, the demo seed, a CLI rebuild). */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0) {
      /* next batch */
    }
  }

  /** One claim and its projection; the number of changes claimed. Overlapping calls share the pass in flight. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<number> {
    const holder = leaseName('projector');
    const claimed = await this.claim(holder);
    const byCompany = new Map<number, Claimed[]>();
    for (const c of claimed) byCompany.set(c.companyId, [...(byCompany.get(c.companyId) ?? []), c]);
    for (const [companyId, changes] of byCompany) await this.projectOrIsolate(companyId, changes, holder);
    return claimed.length;
  }

  private async claim(holder: string): Promise<Claimed[]> {
    const now = this.app.clock.now();
    const candidates: { id: number }[] = await this.app.ds.query(
      `SELECT id FROM lead_change WHERE leaseUntil IS NULL OR leaseUntil < ? ORDER BY id LIMIT ${Number(this.opts.batchSize)}`,
      [now],
    );
    if (!candidates.length) return [];
    const ids = candidates.map((c) => Number(c.id));
    const marks = ids.map(() => '?').join(', ');
    await this.app.ds.query(
      `UPDATE lead_change SET leaseOwner = ?, leaseUntil = ?, attempts = attempts + 1
        WHERE id IN (${marks}) AND (leaseUntil IS NULL OR leaseUntil < ?)`,
      [holder, now + this.opts.leaseMs, ...ids, now],
    );
    const mine: Record<keyof Claimed, unknown>[] = await this.app.ds.query(
      `SELECT id, companyId, leadId, createdAt FROM lead_change WHERE id IN (${marks}) AND leaseOwner = ?`,
      [...ids, holder],
    );
    return mine.map((m) => ({ id: Number(m.id), companyId: Number(m.companyId), leadId: Number(m.leadId), createdAt: Number(m.createdAt) }));
  }

  /** The whole batch in one transaction; if that fails, lead by lead, so one broken lead holds back no other. */
  /**
   * The whole batch in one transaction; if that fails, lead by lead, so one broken lead holds back no other; and a
   * lead that still fails, step by step, so a broken step (say, a metric) does not keep its other derived state (its
   * alarm timers) stale. A lead's changes are deleted only once every step has projected it.
   */
  private async projectOrIsolate(companyId: number, changes: Claimed[], holder: string): Promise<void> {
    try {
      await this.project(companyId, changes, holder, this.steps);
      return;
    } catch {
      // isolate below
    }
    const byLead = new Map<number, Claimed[]>();
    for (const c of changes) byLead.set(c.leadId, [...(byLead.get(c.leadId) ?? []), c]);
    for (const one of byLead.values()) {
      if (byLead.size > 1) {
        try {
          await this.project(companyId, one, holder, this.steps);
          continue;
        } catch {
          // step by step below
        }
      }
      await this.projectStepByStep(companyId, one, holder);
    }
  }

  private async projectStepByStep(companyId: number, changes: Claimed[], holder: string): Promise<void> {
    let failure: unknown = null;
    for (const step of this.steps) {
      try {
        await this.project(companyId, changes, holder, [step], { keepChanges: true });
      } catch (err) {
        failure ??= new Error(`${step.name}: ${String((err as Error)?.message ?? err)}`, { cause: err });
      }
    }
    if (failure) return this.failed(changes, holder, failure);
    await this.project(companyId, changes, holder, []);
  }

  private async project(companyId: number, changes: Claimed[], holder: string, steps: ProjectionStep[], opts: { keepChanges?: boolean } = {}): Promise<void> {
    const leadIds = [...new Set(changes.map((c) => c.leadId))].sort((a, b) => a - b);
    const ids = changes.map((c) => c.id);
    await this.app.tx.runRetryingUnique(async (em) => {
      // The settings are a source too: read under a shared lock, so a settings change (alarm thresholds, the A-level
      // score) waits for projections that use the old ones, and projections after it use the new ones.
      const [company] = await em.query(`SELECT settings FROM company WHERE id = ?${forShare(em)}`, [companyId]);
      const companySettings = company?.settings ? (JSON.parse(company.settings) as Record<string, unknown>) : {};
      const batch: LeadBatch = { companyId, leadIds, now: this.app.clock.now(), companySettings };
      for (const step of steps) await step.project(em, batch);
      if (opts.keepChanges) return;
      await this.app.checkpoints.reach('projector:beforeDelete');
      // Only our claims: a claim that lapsed and was retaken is the new holder's to delete (it projects again).
      await em.query(`DELETE FROM lead_change WHERE id IN (${ids.map(() => '?').join(', ')}) AND leaseOwner = ?`, [...ids, holder]);
    }, 'projector.batch');
    if (opts.keepChanges) return;
    this.stats.batches++;
    this.stats.leads += leadIds.length;
    const done = this.app.clock.now();
    for (const c of changes) this.lags.push([done, done - c.createdAt]);
    if (this.lags.length > LAG_SAMPLES) this.lags.splice(0, this.lags.length - LAG_SAMPLES);
  }

  /** Released for a retry after a backoff that doubles per attempt (1 s … 60 s), with the error kept on the rows. */
  private async failed(changes: Claimed[], holder: string, err: unknown): Promise<void> {
    const now = this.app.clock.now();
    const message = String((err as Error)?.message ?? err).slice(0, 480);
    this.stats.failures++;
    this.stats.lastError = message;
    this.stats.lastErrorAt = now;
    logger.error({ err, leadIds: [...new Set(changes.map((c) => c.leadId))] }, 'projection failed; will retry');
    const ids = changes.map((c) => c.id);
    const [row] = await this.app.ds.query(`SELECT MAX(attempts) AS n FROM lead_change WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, Number(row?.n ?? 1) - 1));
    await this.app.ds.query(
      `UPDATE lead_change SET leaseOwner = NULL, leaseUntil = ?, lastError = ? WHERE id IN (${ids.map(() => '?').join(', ')}) AND leaseOwner = ?`,
      [now + backoff, message, ...ids, holder],
    );
  }

  /** Change recorded → projection committed, for this process's projections of the last `windowMs`. */
  lag(windowMs: number): { count: number; p50: number | null; p99: number | null; max: number | null } {
    const since = this.app.clock.now() - windowMs;
    const xs = this.lags
      .filter(([at]) => at >= since)
      .map(([, lag]) => lag)
      .sort((a, b) => a - b);
    const at = (q: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] : null);
    return { count: xs.length, p50: at(0.5), p99: at(0.99), max: xs.length ? xs[xs.length - 1] : null };
  }

  /** What the health endpoint shows: the backlog, its oldest change, and changes whose projection keeps failing. */
  async health(companyId?: number): Promise<ProjectorHealth> {
    const where = companyId === undefined ? '' : ' WHERE companyId = ?';
    const [row] = await this.app.ds.query(
      `SELECT COUNT(*) AS backlog, MIN(createdAt) AS oldest, SUM(CASE WHEN lastError IS NOT NULL THEN 1 ELSE 0 END) AS failing
         FROM lead_change${where}`,
      companyId === undefined ? [] : [companyId],
    );
    const oldest = row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest);
    return {
      backlog: Number(row?.backlog ?? 0),
      oldestChangeAt: oldest,
      failing: Number(row?.failing ?? 0),
      watermark: watermarkOf(oldest, this.app.clock.now()),
      lastError: this.stats.lastError,
      lastErrorAt: this.stats.lastErrorAt,
    };
  }
}

interface ProjectorHealth {
  backlog: number;
  oldestChangeAt: number | null;
  failing: number;
  /** Every change committed before this time is in the derived state. */
  watermark: number;
  lastError: string | null;
  lastErrorAt: number | null;
}

/** Derived state reflects every change older than the oldest one still waiting (or everything, when none waits). */
export function watermarkOf(oldestWaiting: number | null, now: number): number {
  return oldestWaiting === null ? now : Math.min(now, oldestWaiting - 1);
}
