import { TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { bool, column, ms, str, text } from './schema-helpers';

/**
 * What a user and an org unit keep of the platform directory they are synced from (docs/directory.md):
 * - org_unit: the platform and department id it mirrors (null = made in Lifeline, never touched by a sync), and
 *   whether an admin chose its supervisor (a pinned supervisor is not replaced by the department's leader).
 * - app_user: the platform departments and main department (the unit is derived from them), when the sync last saw
 *   the user, who deactivated them ('admin' | 'directory': a sync re-activates only users it deactivated) and when
 *   they left (离职继承 must happen within a year of leaving).
 * SQLite's own ALTER TABLE ADD COLUMN keeps the rows and keys in place (TypeORM would rebuild the table).
 */
const ORG_UNIT: TableColumnOptions[] = [str('platform', 16, true), str('externalId', 64, true), bool('supervisorPinned', false)];
const APP_USER: TableColumnOptions[] = [
  text('deptIds', true),
  str('mainDeptId', 64, true),
  ms('syncedAt', true),
  str('inactiveBy', 16, true),
  ms('leftAt', true),
];

function sqliteType(c: TableColumnOptions): string {
  const base = c.type === 'varchar' ? `varchar(${c.length})` : c.type === 'boolean' ? 'boolean' : c.type === 'bigint' ? 'bigint' : 'text';
  if (c.default !== undefined) return `${base} NOT NULL DEFAULT ${c.default ? 1 : 0}`;
  return `${base} NULL`;
}

async function addColumns(q: QueryRunner, table: string, columns: TableColumnOptions[]): Promise<void> {
  for (const c of columns) {
    if (q.connection.options.type !== 'mysql') await q.query(`ALTER TABLE \`${table}\` ADD COLUMN \`${c.name}\` ${sqliteType(c)}`);
    else await q.addColumn(table, column(c));
  }
}

async function dropColumns(q: QueryRunner, table: string, columns: TableColumnOptions[]): Promise<void> {
  for (const c of columns) {
    if (q.connection.options.type !== 'mysql') await q.query(`ALTER TABLE \`${table}\` DROP COLUMN \`${c.name}\``);
    else await q.dropColumn(table, c.name);
  }
}

export class DirectoryColumns1700001100000 implements MigrationInterface {
  name = 'DirectoryColumns1700001100000';

  async up(q: QueryRunner): Promise<void> {
    await addColumns(q, 'org_unit', ORG_UNIT);
    await addColumns(q, 'app_user', APP_USER);
    await q.createIndex('org_unit', new TableIndex({ name: 'uq_org_unit_external', columnNames: ['companyId', 'platform', 'externalId'], isUnique: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('org_unit', 'uq_org_unit_external');
    await dropColumns(q, 'app_user', APP_USER);
    await dropColumns(q, 'org_unit', ORG_UNIT);
  }
}
