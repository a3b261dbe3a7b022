import type { DataSource } from 'typeorm';

/** Applies pending migrations, each in its own transaction, and reports what ran. */
export async function migrate(ds: DataSource): Promise<string[]> {
  const ran = await ds.runMigrations({ transaction: 'each' });
  return ran.map((m) => m.name);
}
