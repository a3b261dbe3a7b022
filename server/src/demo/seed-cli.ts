import { loadConfig } from '../config';
import { createDataSource } from '../db/data-source';
import { ensureSchema } from '../db/migrate';
import { logger } from '../logger';
import { seedDemoIfEmpty } from './seed';

// `npm run seed:demo`: seed the demo company into an empty database (SQLite: migrated first; MySQL: after `npm run migrate`).
async function main() {
  const config = loadConfig({ ...process.env, LIFELINE_DEMO: '1' });
  const ds = await createDataSource(config.db).initialize();
  await ensureSchema(ds, config.db.kind);
  const summary = await seedDemoIfEmpty(ds, { history: true });
  logger.info(summary ?? { skipped: true }, summary ? 'demo data seeded' : 'database already has data; nothing seeded');
  await ds.destroy();
}

main().catch((err) => {
  logger.error({ err }, 'seeding failed');
  process.exit(1);
});
