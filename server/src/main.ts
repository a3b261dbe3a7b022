import 'reflect-metadata';
import { loadConfig } from './config';
import { createDataSource } from './db/data-source';
import { prepareSchema } from './db/migrate';
import { createApp } from './app';
import { logger } from './logger';
import { seedDemoIfEmpty } from './demo/seed';
import { AlarmEngine, backfillTimers } from './alarms';
import { relearnDue } from './alarms/miss-model';
import { directoryOf } from './directory';
import { TransferWorker } from './users';
import { startBanner } from './start-banner';
import { SpikeWatcher } from './health/worker';
import { SnapshotWorker } from './snapshots';
import { sweepCommitMarkers } from './db/commit-marker';

async function main() {
  const config = loadConfig();
  const ds = await createDataSource(config.db).initialize();
  const schema = await prepareSchema(ds, config.db.kind);
  if (schema.ran.length) logger.info({ ran: schema.ran }, 'migrations applied');
  if (schema.behind) {
    logger.fatal('the database schema is behind this version: run `npm run migrate` once (same DATABASE_URL), then start the servers');
    await ds.destroy();
    process.exit(1);
  }
  if (config.demo) {
    const seeded = await seedDemoIfEmpty(ds, { history: true });
    if (seeded) logger.info(seeded, 'demo data seeded');
  }
  const { koa, ctx, followups, projector, webhookSender, consistency, signals, experiments } = createApp({ config, ds });
  projector.start();
  // Leads that predate the alarm engine (or the demo seed, which bypasses events) get their timers once.
  const [{ n: timers }] = await ds.query('SELECT COUNT(*) AS n FROM alarm_timer');
  if (Number(timers) === 0) logger.info({ armed: await backfillTimers(ctx) }, 'alarm timers armed for existing leads');
  const alarmEngine = new AlarmEngine(ctx, { leaseMs: config.alarms?.leaseMs });
  alarmEngine.start(config.alarms?.tickSeconds ?? 1, (err) => logger.error({ err }, 'alarm tick failed'));
  await directoryOf(ctx).start(); // directory sync workers and the scheduled syncs
  const transfers = new TransferWorker(ctx);
  transfers.start(config.alarms?.tickSeconds ?? 5, (err) => logger.error({ err }, 'customer transfer tick failed'));
  const spikes = new SpikeWatcher(ctx);
  spikes.start(60, (err) => logger.error({ err }, 'delete-spike check failed'));
  const snapshots = new SnapshotWorker(ctx);
  snapshots.start((err) => logger.error({ err }, 'snapshot run failed'));
  webhookSender.start((err) => logger.error({ err }, 'webhook send failed'));
  // The monthly consistency report of each source with a pull URL, checked hourly (one run per source and month).
  const monthly = setInterval(() => void consistency.runMonthlyDue().catch((err) => logger.error({ err }, 'monthly consistency report failed')), 3600_000);
  monthly.unref();
  // Intent signals fade (scores re-read every 5 minutes); chat text past the company's retention is erased hourly.
  const fading = setInterval(() => void signals.refreshFading().catch((err) => logger.error({ err }, 'signal score refresh failed')), 300_000);
  fading.unref();
  const purge = setInterval(() => void signals.purgeChatText().catch((err) => logger.error({ err }, 'chat text purge failed')), 3600_000);
  purge.unref();
  // The harm rule of routing A/B tests (a markedly worse new version is rolled back), checked hourly.
  const harm = setInterval(() => void experiments.checkHarm().catch((err) => logger.error({ err }, 'routing experiment check failed')), 3600_000);
  harm.unref();
  // Learned early warnings: each company's miss model relearned daily (checked every 6 hours).
  const misses = setInterval(() => void relearnDue(ctx).catch((err) => logger.error({ err }, 'miss model learning failed')), 6 * 3600_000);
  misses.unref();
  // Commit markers (db/commit-marker.ts) are read within seconds of their COMMIT; older ones are swept every 5 minutes.
  if (config.db.kind === 'mysql') {
    const markers = setInterval(() => void sweepCommitMarkers(ds).catch((err) => logger.error({ err }, 'commit marker sweep failed')), 300_000);
    markers.unref();
  }
  const server = koa.listen(config.port, config.host, () => {
    console.log(startBanner(config));
  });
  server.keepAliveTimeout = 65_000;

  const shutdown = (signal: string) => {
    logger.info({ signal, followupGroupCommit: followups.groupCommitStats }, 'shutting down');
    server.close(
      () =>
        void Promise.all([
          alarmEngine.stop(),
          projector.stop(),
          directoryOf(ctx).stop(),
          transfers.stop(),
          spikes.stop(),
          snapshots.stop(),
          webhookSender.stop(),
        ])
          .then(() => ds.destroy())
          .then(() => process.exit(0)),
    );
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  logger.error({ err }, 'failed to start');
  process.exit(1);
});
