import { loadConfig } from '../config';
import { createDataSource } from './data-source';
import { migrate } from './migrate';
import { logger } from '../logger';

// `npm run migrate`: apply pending migrations to DATABASE_URL (or the embedded SQLite file) and exit.
async function main() {
  const config = loadConfig();
  const ds = await createDataSource(config.db).initialize();
  const ran = await migrate(ds);
  logger.info({ ran, db: config.db.kind }, ran.length ? 'migrations applied' : 'schema up to date');
  await ds.destroy();
}

main().catch((err) => {
  logger.error({ err }, 'migration failed');
  process.exit(1);
});
