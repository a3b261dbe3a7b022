import Router from '@koa/router';
import type { AppContext } from '../context';
import { logger } from '../logger';
import { registerDirectoryEvents } from './events';
import { EventWorker } from './event-worker';
import { directorySyncRoutes } from './routes';
import { SyncScheduler } from './scheduler';
import { SyncRuns } from './sync-runs';
import { SyncWorker } from './sync-worker';

/** How often the workers look for due runs and events when nothing kicked them (rate-limit parks, retries, other processes). */
const POLL_MS = 2_000;
const REFRESH_SCHEDULES_MS = 5 * 60_000;

export interface DirectoryModule {
  authed: Router;
  runs: SyncRuns;
  syncWorker: SyncWorker;
  eventWorker: EventWorker;
  scheduler: SyncScheduler;
  /** Production: poll the workers, run the scheduled syncs, and work a run or event as soon as it is recorded. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const modules = new WeakMap<AppContext, DirectoryModule>();

/** The directory module composed for this app (main.ts starts it; tests drive its workers by hand). */
export function directoryOf(app: AppContext): DirectoryModule {
  const m = modules.get(app);
  if (!m) throw new Error('directoryModule(app) was not composed');
  return m;
}

/**
 * Directory sync (docs/directory.md): full syncs (routes, leased worker, scheduler) and contact-change events
 * (registered on the platform callbacks, applied by a leased worker). Composed in app.ts; started in main.ts.
 */
export function directoryModule(app: AppContext): DirectoryModule {
  const runs = new SyncRuns(app);
  const syncWorker = new SyncWorker(app);
  const eventWorker = new EventWorker(app);
  let live = false;
  const onError = (what: string) => (err: unknown) => logger.error({ err }, `directory ${what} failed`);
  const kickSync = () => void (live && syncWorker.tick().catch(onError('sync')));
  const kickEvents = () => void (live && eventWorker.tick().catch(onError('event')));
  const scheduler = new SyncScheduler(app, runs, kickSync);
  registerDirectoryEvents(app, kickEvents);
  const authed = directorySyncRoutes(app, runs, {
    kick: kickSync,
    settingsChanged: () => void (live && scheduler.refresh().catch(onError('schedule refresh'))),
  });
  let timers: NodeJS.Timeout[] = [];
  const m: DirectoryModule = {
    authed,
    runs,
    syncWorker,
    eventWorker,
    scheduler,
    async start() {
      live = true;
      await scheduler.refresh();
      timers = [
        setInterval(() => {
          kickSync();
          kickEvents();
        }, POLL_MS),
        setInterval(() => void scheduler.refresh().catch(onError('schedule refresh')), REFRESH_SCHEDULES_MS),
      ];
      for (const t of timers) t.unref();
    },
    async stop() {
      live = false;
      for (const t of timers) clearInterval(t);
      await scheduler.stop();
    },
  };
  modules.set(app, m);
  return m;
}
