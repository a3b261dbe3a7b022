import cron, { type ScheduledTask } from 'node-cron';
import type { AppContext } from '../context';
import { llmFromConfig, type LlmClient } from '../llm';
import { LocalChannel } from '../platforms/local/local-channel';
import { WecomApi } from '../platforms/wecom/wecom-api';
import { WecomChannel } from '../platforms/wecom/messages';
import { DingtalkApi } from '../platforms/dingtalk/dingtalk-api';
import { DingtalkChannel } from '../platforms/dingtalk/messages';
import { DingtalkCards, cardsEnabled } from '../platforms/dingtalk/cards';
import { WecomGroupRobot } from '../platforms/wecom/robot';
import { DingtalkGroupRobot } from '../platforms/dingtalk/robot';
import type { AlarmChannel } from './channel';
import type { ChannelKind } from './alarm.entities';
import { Dispatcher } from './dispatcher';
import { fireTimers } from './fire';
import { claimDue, leaseName } from './lease';
import { TickCache } from './tick-cache';
import { pruneCallbackReceipts } from './housekeeping';

/** Timers fired per transaction. */
const FIRE_CHUNK = 100;

export interface EngineOptions {
  /** How long a claimed timer or message stays ours; a process that dies frees its claims after this. */
  leaseMs?: number;
  batch?: number;
  /** Parallel fire transactions per tick (MySQL only; SQLite has one writer). */
  parallel?: number;
  channels?: Partial<Record<ChannelKind, AlarmChannel>>;
}

export interface TickStats {
  fired: number;
  cancelled: number;
  sent: number;
  failed: number;
  retried: number;
}

/** The alarm tick: fire due timers under a lease, then deliver due outbox rows. Safe in any number of processes. */
export class AlarmEngine {
  readonly dispatcher: Dispatcher;
  private readonly llm: LlmClient | null;
  private task: ScheduledTask | null = null;
  private housekeeping: ScheduledTask | null = null;
  private running: Promise<TickStats> | null = null;

  constructor(private readonly app: AppContext, private readonly opts: EngineOptions = {}) {
    const local = new LocalChannel();
    const dt = app.config.dingtalk;
    const dtApi = dt ? new DingtalkApi(dt, app.clock) : null;
    const channels: Record<ChannelKind, AlarmChannel> = {
      local,
      wecom: app.config.wecom ? new WecomChannel(new WecomApi(app.config.wecom, app.clock)) : local,
      dingtalk: dt && dtApi
        ? new DingtalkChannel(dtApi, dt, cardsEnabled(dt) ? new DingtalkCards(dtApi, dt, app.config.sessionSecret, app.config.publicUrl) : undefined)
        : local,
      wecom_grp: app.config.alarms?.wecomGroupRobotUrl ? new WecomGroupRobot(app.config.alarms.wecomGroupRobotUrl) : local,
      ding_grp: app.config.alarms?.dingtalkRobotWebhook
        ? new DingtalkGroupRobot(app.config.alarms.dingtalkRobotWebhook, app.config.alarms.dingtalkRobotSecret, () => app.clock.now())
        : local,
      ...(opts.channels ?? {}),
    };
    this.dispatcher = new Dispatcher(app, channels, opts.leaseMs ?? 60_000);
    this.llm = llmFromConfig(app.config);
  }

  /** One tick; overlapping calls share the one in flight. */
  tick(): Promise<TickStats> {
    this.running ??= this.doTick().finally(() => (this.running = null));
    return this.running;
  }

  private async doTick(): Promise<TickStats> {
    const stats: TickStats = { fired: 0, cancelled: 0, sent: 0, failed: 0, retried: 0 };
    const batch = this.opts.batch ?? 400;
    const cache = new TickCache(this.app);
    for (;;) {
      const holder = leaseName('timer');
      const ids = await claimDue(this.app, 'alarm_timer', 'dueAt', holder, this.app.clock.now(), this.opts.leaseMs ?? 60_000, batch);
      if (!ids.length) break;
      const companies: { companyId: number }[] = await this.app.ds.query(
        `SELECT DISTINCT companyId FROM alarm_timer WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
      await cache.warm(companies.map((c) => Number(c.companyId)));
      const parallel = this.app.tx.kind === 'mysql' ? (this.opts.parallel ?? 4) : 1;
      const chunks: number[][] = [];
      for (let i = 0; i < ids.length; i += FIRE_CHUNK) chunks.push(ids.slice(i, i + FIRE_CHUNK));
      await Promise.all(Array.from({ length: parallel }, async () => {
        for (let c = chunks.shift(); c; c = chunks.shift()) {
          for (const o of await fireTimers(this.app, c, holder, this.llm, cache)) {
            if (o === 'fired') stats.fired++;
            if (o === 'cancelled') stats.cancelled++;
          }
        }
      }));
      // Deliver what this batch raised before firing the next, so early alarms do not wait for late ones.
      const r = await this.dispatcher.run(batch * 3);
      stats.sent += r.sent;
      stats.failed += r.failed;
      stats.retried += r.retried;
      if (ids.length < batch) break;
    }
    for (;;) {
      const r = await this.dispatcher.run(batch);
      stats.sent += r.sent;
      stats.failed += r.failed;
      stats.retried += r.retried;
      if (r.sent + r.failed + r.retried < batch) break;
    }
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

