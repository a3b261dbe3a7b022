import cron, { type ScheduledTask } from 'node-cron';
import type { AppContext } from '../context';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';
import { AppError } from '../http/errors';
import { sourceOf } from './staging';
import type { SyncRuns } from './sync-runs';

/** A scheduled run is skipped when the company had one this recently (several processes fire the same minute). */
const RECENT_MS = 10 * 60_000;

/**
 * The scheduled full syncs: one node-cron task per company that has a directory source and a `directory.schedule`
 * (China time), refreshed every few minutes and after a settings change, so edits in any process take effect.
 * One live run per company (directory_sync_run.activeCompanyId) keeps processes from running it twice.
 */
export class SyncScheduler {
  private readonly tasks = new Map<number, { schedule: string; task: ScheduledTask }>();

  constructor(
    private readonly app: AppContext,
    private readonly runs: SyncRuns,
    private readonly started: () => void,
  ) {}

  /** Which companies sync when: re-read from the settings. */
  async refresh(): Promise<number[]> {
    const companies = await this.app.ds.getRepository(Company).find();
    const wanted = new Map<number, string>();
    for (const c of companies) {
      const schedule = effectiveSettings(c.settings).directory.schedule;
      if (schedule && cron.validate(schedule) && (await sourceOf(this.app, c.id))) wanted.set(c.id, schedule);
    }
    for (const [id, t] of this.tasks) {
      if (wanted.get(id) === t.schedule) continue;
      await t.task.stop();
      this.tasks.delete(id);
    }
    for (const [id, schedule] of wanted) {
      if (this.tasks.has(id)) continue;
      const task = cron.schedule(schedule, () => void this.fire(id).catch(() => undefined), { timezone: 'Asia/Shanghai', noOverlap: true });
      this.tasks.set(id, { schedule, task });
    }
    return [...wanted.keys()];
  }

  /** The scheduled run of one company (skipped when one ran within RECENT_MS or one is live). */
  async fire(companyId: number): Promise<number | null> {
    const now = this.app.clock.now();
    const [recent] = await this.app.ds.query("SELECT id FROM directory_sync_run WHERE companyId = ? AND origin = 'schedule' AND createdAt > ? LIMIT 1", [
      companyId,
      now - RECENT_MS,
    ]);
    if (recent) return null;
    try {
      const run = await this.runs.start(companyId, 'schedule', null);
      this.started();
      return run.id;
    } catch (err) {
      if (err instanceof AppError && err.status < 500) return null; // a live run, or no source any more
      throw err;
    }
  }

  async stop(): Promise<void> {
    for (const t of this.tasks.values()) await t.task.stop();
    this.tasks.clear();
  }
}
