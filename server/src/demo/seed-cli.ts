import { loadConfig } from '../config';
import { createDataSource } from '../db/data-source';
import { migrate } from '../db/migrate';
import { logger } from '../logger';
import { seedDemoIfEmpty } from './seed';

// `npm run seed:demo`: migrate and seed the demo company into an empty database.
async function main() {
  const config = loadConfig({ ...process.env, LIFELINE_DEMO: '1' });
  const ds = await createDataSource(config.db).initialize();
  await migrate(ds);
  const summary = await seedDemoIfEmpty(ds, { history: true });
  logger.info(summary ?? { skipped: true }, summary ? 'demo data seeded' : 'database already has data; nothing seeded');
  await ds.destroy();
}

main().catch((err) => {
  logger.error({ err }, 'seeding failed');
  process.exit(1);
});
