import 'reflect-metadata';
import { loadConfig } from './config';
import { createDataSource } from './db/data-source';
import { migrate } from './db/migrate';
import { createApp } from './app';
import { logger } from './logger';
import { seedDemoIfEmpty } from './demo/seed';

async function main() {
  const config = loadConfig();
  const ds = await createDataSource(config.db).initialize();
  const ran = await migrate(ds);
  if (ran.length) logger.info({ ran }, 'migrations applied');
  if (config.demo) {
    const seeded = await seedDemoIfEmpty(ds);
    if (seeded) logger.info(seeded, 'demo data seeded');
  }
  const { koa } = createApp({ config, ds });
  const server = koa.listen(config.port, config.host, () => {
    const where = config.db.kind === 'sqlite' ? `SQLite ${config.db.url}` : 'MySQL';
    console.log(`\nLifeline is running (${where}${config.demo ? ', demo mode' : ''})`);
    console.log(`  API health:   ${config.publicUrl}/healthz`);
    if (config.demo) console.log(`  Demo login:   curl -XPOST ${config.publicUrl}/api/auth/dev-login -H 'content-type: application/json' -d '{"role":"rep"}'`);
    console.log('');
  });
  server.keepAliveTimeout = 65_000;

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.close(() => void ds.destroy().then(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  logger.error({ err }, 'failed to start');
  process.exit(1);
});
