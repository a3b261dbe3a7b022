import cron, { type ScheduledTask } from 'node-cron';
import type { AppContext } from '../context';
import { llmFromConfig, type LlmClient } from '../llm';
import type { Channels } from '../channels/port';
import { Dispatcher, type DispatcherOptions, type DispatchStats } from './dispatcher';
import { fireTimers } from './fire';
import { claimDue, LeaseKeeper } from './lease';
import { leaseName } from '../db/lease-name';
import { TickCache } from './tick-cache';
import { pruneCallbackReceipts } from './housekeeping';

/** Timers fired per transaction. */
const FIRE_CHUNK = 100;
/**
 * Default claim lease. Short because live processes renew their claims (LeaseKeeper) every quarter of it:
 * a killed or frozen process's claims come back to the others within about this long.
 */
export const DEFAULT_LEASE_MS = 5_000;

interface EngineOptions {
  /** How long a claimed timer or message stays ours without renewal; a process that dies frees its claims after this. */
  leaseMs?: number;
  /** Lease renewal interval while working (default a quarter of the lease). */
  heartbeatMs?: number;
  /** Test hooks holding a dispatch at named points (see DispatchPauses). */
  pauses?: DispatcherOptions['pauses'];
  batch?: number;
  /** Parallel fire transactions per tick (MySQL only; SQLite has one writer). */
  parallel?: number;
  channels?: Partial<Channels>;
}

interface TickStats {
  fired: number;
  cancelled: number;
  sent: number;
  failed: number;
  retried: number;
  /** Outbox rows abandoned because their lease lapsed (another process finished them). */
  lost: number;
}

/** The alarm tick: fire due timers under a lease, then deliver due outbox rows. Safe in any number of processes. */
export class AlarmEngine {
  readonly dispatcher: Dispatcher;
  private readonly llm: LlmClient | null;
  private task: ScheduledTask | null = null;
  private housekeeping: ScheduledTask | null = null;
  private running: Promise<TickStats> | null = null;
  private get leaseMs() {
    return this.opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

  constructor(
    private readonly app: AppContext,
    private readonly opts: EngineOptions = {},
  ) {
    const channels: Channels = { ...app.channels(), ...(opts.channels ?? {}) };
    this.dispatcher = new Dispatcher(app, channels, this.leaseMs, undefined, { pauses: opts.pauses, heartbeatMs: opts.heartbeatMs });
    this.llm = llmFromConfig(app.config);
  }

  /** One tick; overlapping calls share the one in flight. */
  tick(): Promise<TickStats> {
    this.running ??= this.doTick().finally(() => (this.running = null));
    return this.running;
  }

  private async doTick(): Promise<TickStats> {
    const stats: TickStats = { fired: 0, cancelled: 0, sent: 0, failed: 0, retried: 0, lost: 0 };
    const add = (r: DispatchStats) => {
      stats.sent += r.sent;
      stats.failed += r.failed;
      stats.retried += r.retried;
      stats.lost += r.lost;
      return r.sent + r.failed + r.retried + r.lost;
    };
    const batch = this.opts.batch ?? 400;
    const cache = new TickCache(this.app);
    for (;;) {
      const holder = leaseName('timer');
      const ids = await claimDue(this.app, 'alarm_timer', 'dueAt', holder, this.app.clock.now(), this.leaseMs, batch);
      if (!ids.length) break;
      const keeper = new LeaseKeeper(this.app, 'alarm_timer', holder, this.leaseMs, ids, this.opts.heartbeatMs);
      try {
        const companies: { companyId: number }[] = await this.app.ds.query(
          `SELECT DISTINCT companyId FROM alarm_timer WHERE id IN (${ids.map(() => '?').join(',')})`,
          ids,
        );
        await cache.warm(companies.map((c) => Number(c.companyId)));
        const parallel = this.app.tx.kind === 'mysql' ? (this.opts.parallel ?? 4) : 1;
        const chunks: number[][] = [];
        for (let i = 0; i < ids.length; i += FIRE_CHUNK) chunks.push(ids.slice(i, i + FIRE_CHUNK));
        await Promise.all(
          Array.from({ length: parallel }, async () => {
            for (let c = chunks.shift(); c; c = chunks.shift()) {
              for (const o of await fireTimers(this.app, c, holder, this.llm, cache)) {
                if (o === 'fired') stats.fired++;
                if (o === 'cancelled') stats.cancelled++;
              }
            }
          }),
        );
      } finally {
        await keeper.stop();
      }
      // Deliver what this batch raised before firing the next, so early alarms do not wait for late ones.
      add(await this.dispatcher.run(batch * 3));
      if (ids.length < batch) break;
    }
    while (add(await this.dispatcher.run(batch)) >= batch);
    return stats;
  }

  /** Runs the tick every `seconds` (node-cron, seconds field). */
  start(seconds: number, onError: (err: unknown) => void): void {
    const every = Math.max(1, Math.min(59, Math.round(seconds)));
    this.task = cron.schedule(`*/${every} * * * * *`, () => void this.tick().catch(onError));
    // Hourly, at a random second so several processes do not all prune at once.
    this.housekeeping = cron.schedule(`${Math.floor(Math.random() * 60)} 7 * * * *`, () => void pruneCallbackReceipts(this.app).catch(onError));
  }

  async stop(): Promise<void> {
    await this.task?.stop();
    await this.housekeeping?.stop();
    this.task = null;
    this.housekeeping = null;
    await this.running?.catch(() => undefined);
  }
}
