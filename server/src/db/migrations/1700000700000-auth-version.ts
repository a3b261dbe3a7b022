import type { MigrationInterface, QueryRunner } from 'typeorm';
import { column, int } from './schema-helpers';

/**
 * `authVersion` on app_user and company: bumped in the same transaction as any change made through the API to a
 * user's role, active flag, org unit or manager, or to a company's settings. A process that keeps signed-in
 * actors for AUTH_CACHE_MS compares the version it built an actor with against the row (one primary-key read per
 * write request), so a change made in one process applies to writes in every other at once.
 * SQLite's own ALTER TABLE ADD COLUMN keeps the rows and keys in place (TypeORM would rebuild the table).
 */
const TABLES = ['app_user', 'company'];

export class AuthVersion1700000700000 implements MigrationInterface {
  name = 'AuthVersion1700000700000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      if (q.connection.options.type !== 'mysql') await q.query(`ALTER TABLE \`${table}\` ADD COLUMN \`authVersion\` integer NOT NULL DEFAULT 0`);
      else await q.addColumn(table, column(int('authVersion', false, 0)));
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      if (q.connection.options.type !== 'mysql') await q.query(`ALTER TABLE \`${table}\` DROP COLUMN \`authVersion\``);
      else await q.dropColumn(table, 'authVersion');
    }
  }
}
