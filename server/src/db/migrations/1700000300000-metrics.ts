import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { backfillStaysAndCounters } from './metrics-backfill';
import { column, int, ms, pk, str } from './schema-helpers';

const idx = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });
const NODES = [0, 1, 2, 3, 4, 5, 6];
const isSqlite = (q: QueryRunner) => q.connection.options.type !== 'mysql';

/**
 * TypeORM adds/drops a SQLite column by rebuilding the table, which fails once other tables hold foreign keys
 * to its rows (lead ← followup). SQLite's own ALTER TABLE ADD/DROP COLUMN keeps the rows and keys in place.
 */
async function addColumn(q: QueryRunner, table: string, name: string, portable: TableColumnOptions, sqliteType: string) {
  if (isSqlite(q)) await q.query(`ALTER TABLE \`${table}\` ADD COLUMN \`${name}\` ${sqliteType}`);
  else await q.addColumn(table, column(portable));
}

async function dropColumn(q: QueryRunner, table: string, name: string) {
  if (isSqlite(q)) await q.query(`ALTER TABLE \`${table}\` DROP COLUMN \`${name}\``);
  else await q.dropColumn(table, name);
}

/**
 * Journey stays, lead facts, conversations, channel spend and per-rep script counters for the dashboards;
 * the signed course on follow-ups and leads. Existing leads get their stays and facts (data is kept).
 */
export class Metrics1700000300000 implements MigrationInterface {
  name = 'Metrics1700000300000';

  async up(q: QueryRunner): Promise<void> {
    await addColumn(q, 'followup', 'signedCourse', str('signedCourse', 32, true), 'varchar(32) NULL');
    await addColumn(q, 'lead', 'signedAt', ms('signedAt', true), 'bigint NULL');
    await addColumn(q, 'lead', 'signedCourse', str('signedCourse', 32, true), 'varchar(32) NULL');
    await q.createTable(
      new Table({
        name: 'journey_stay',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          str('node', 16),
          ms('enteredAt'),
          ms('leftAt', true),
          int('actorId', true),
          int('followupId', true),
          int('scriptId', true),
        ],
        indices: [idx('idx_journey_stay_company_lead', ['companyId', 'leadId', 'enteredAt'])],
      }),
    );
    await q.createTable(
      new Table({
        name: 'lead_fact',
        columns: [
          // Clustered by (companyId, enteredAt): a date-range dashboard reads one contiguous slice on InnoDB.
          { ...int('companyId'), isPrimary: true },
          { ...ms('enteredAt'), isPrimary: true },
          { ...int('leadId'), isPrimary: true },
          int('enteredDay'),
          int('customerId'),
          int('ownerId', true),
          int('orgUnitId', true),
          str('channel', 64),
          str('city', 16, true),
          str('grade', 8, true),
          str('status', 16),
          str('journeyNode', 16),
          ms('nodeEnteredAt', true),
          int('maxNodeIndex'),
          str('lostNode', 16, true),
          int('score'),
          ms('assignedAt', true),
          ms('firstTouchAt', true),
          ms('assignTouchAt', true),
          ms('nextStepDueAt', true),
          ms('trialAt', true),
          ms('signedAt', true),
          str('signedCourse', 32, true),
          int('demandMatch', true),
          int('profileFilled'),
          int('profileRequired'),
          ...NODES.map((i) => ms(`stayMs${i}`)),
          ...NODES.map((i) => int(`stays${i}`)),
          ms('deletedAt', true),
          ms('updatedAt'),
        ],
        indices: [
          idx('uq_lead_fact_lead', ['leadId'], true),
          idx('idx_lead_fact_owner', ['companyId', 'ownerId', 'enteredAt']),
          idx('idx_lead_fact_unit', ['companyId', 'orgUnitId', 'enteredAt']),
          idx('idx_lead_fact_channel', ['companyId', 'channel', 'enteredAt']),
          idx('idx_lead_fact_customer', ['companyId', 'customerId']),
          idx('idx_lead_fact_open', ['companyId', 'status', 'ownerId']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversation',
        columns: [
          pk(),
          int('companyId'),
          int('repId'),
          int('customerId'),
          int('day'),
          ms('firstAt'),
          str('source', 16),
          ms('followupAt', true),
          ms('updatedAt'),
        ],
        indices: [
          idx('uq_conversation_rep_customer_day', ['companyId', 'repId', 'customerId', 'day'], true),
          idx('idx_conversation_day', ['companyId', 'day', 'repId', 'followupAt']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'channel_spend',
        columns: [pk(), int('companyId'), str('channel', 64), str('month', 7), ms('amountFen'), int('updatedBy', true), ms('updatedAt')],
        indices: [idx('uq_channel_spend', ['companyId', 'channel', 'month'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'rep_day',
        columns: [
          { ...int('companyId'), isPrimary: true },
          { ...int('repId'), isPrimary: true },
          { ...int('day'), isPrimary: true },
          int('scriptFollowups', false, 0),
        ],
      }),
    );
    // Script picks counted per rep and day on the battle map.
    await q.createIndex('script_pick', idx('idx_script_pick_rep_picked', ['companyId', 'repId', 'pickedAt']));
    await backfillStaysAndCounters(q.manager);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('script_pick', 'idx_script_pick_rep_picked');
    for (const t of ['rep_day', 'channel_spend', 'conversation', 'lead_fact', 'journey_stay']) await q.dropTable(t);
    await dropColumn(q, 'lead', 'signedCourse');
    await dropColumn(q, 'lead', 'signedAt');
    await dropColumn(q, 'followup', 'signedCourse');
  }
}
