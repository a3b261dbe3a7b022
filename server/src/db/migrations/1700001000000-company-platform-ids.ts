import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column, str } from './schema-helpers';

/**
 * The WeCom corp id and DingTalk corp id a company is bound to: platform callbacks, directory events and platform
 * sign-ins are routed to the company by these (one company per corp), so several companies share one server.
 * SQLite's own ALTER TABLE ADD COLUMN keeps the rows and keys in place (TypeORM would rebuild the table).
 */
const COLUMNS = ['wecomCorpId', 'dingtalkCorpId'];

export class CompanyPlatformIds1700001000000 implements MigrationInterface {
  name = 'CompanyPlatformIds1700001000000';

  async up(q: QueryRunner): Promise<void> {
    for (const name of COLUMNS) {
      if (q.connection.options.type !== 'mysql') await q.query(`ALTER TABLE \`company\` ADD COLUMN \`${name}\` varchar(64) NULL`);
      else await q.addColumn('company', column(str(name, 64, true)));
      await q.createIndex('company', new TableIndex({ name: `uq_company_${name}`, columnNames: [name], isUnique: true }));
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of COLUMNS) {
      await q.dropIndex('company', `uq_company_${name}`);
      if (q.connection.options.type !== 'mysql') await q.query(`ALTER TABLE \`company\` DROP COLUMN \`${name}\``);
      else await q.dropColumn('company', name);
    }
  }
}
