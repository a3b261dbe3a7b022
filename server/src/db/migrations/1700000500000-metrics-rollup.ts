import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { backfillFactsAndRollups } from './metrics-backfill';
import { column, int, ms, str } from './schema-helpers';

const idx = (name: string, columnNames: string[]) => new TableIndex({ name, columnNames });
const PENDING = ['s7PendingUntil', 'f24PendingUntil', 'f48PendingUntil', 'overdueFrom'];
const INDEXES = [
  ['idx_lead_fact_s7_pending', 's7PendingUntil'],
  ['idx_lead_fact_f24_pending', 'f24PendingUntil'],
  ['idx_lead_fact_f48_pending', 'f48PendingUntil'],
  ['idx_lead_fact_overdue', 'overdueFrom'],
];
/** The seven journey nodes of the day, by index. */
const NODES = [0, 1, 2, 3, 4, 5, 6];
const isSqlite = (q: QueryRunner) => q.connection.options.type !== 'mysql';

/**
 * Dashboards at a million leads (`npm run bench:metrics`): per-fact pending-until and overdue times (the now-dependent
 * parts of the window KPIs and the battle map, found by index), the customer's primary lead (profile completeness without grouping by customer), and
 * the lead_rollup table the dashboards sum instead of scanning facts. Existing facts are filled in and the rollups built.
 */
export class MetricsRollup1700000500000 implements MigrationInterface {
  name = 'MetricsRollup1700000500000';

  async up(q: QueryRunner): Promise<void> {
    // SQLite's own ADD COLUMN keeps rows in place (TypeORM would rebuild the table).
    if (isSqlite(q)) {
      await q.query('ALTER TABLE lead_fact ADD COLUMN `profilePrimary` integer NOT NULL DEFAULT 1');
      for (const c of PENDING) await q.query(`ALTER TABLE lead_fact ADD COLUMN \`${c}\` bigint NULL`);
    } else {
      await q.addColumns('lead_fact', [column(int('profilePrimary', false, 1)), ...PENDING.map((c) => column(ms(c, true)))]);
    }
    for (const [name, c] of INDEXES) await q.createIndex('lead_fact', idx(name, ['companyId', c]));
    const counts = ['leads', 's7hit', 'f24hit', 'f48hit', 'flowN', 'signed', 'signedDM', 'matched', 'trials', 'trialSigned', 'pf', 'pr'];
    await q.createTable(
      new Table({
        name: 'lead_rollup',
        columns: [
          { ...int('companyId'), isPrimary: true },
          { ...str('shape', 8), isPrimary: true },
          { ...int('day'), isPrimary: true },
          { ...int('ownerId'), isPrimary: true },
          { ...int('orgUnitId'), isPrimary: true },
          { ...str('dim', 64), isPrimary: true },
          ...counts.slice(0, 5).map((c) => int(c)),
          ms('flowMs'),
          int('signed'),
          ms('dealMs'),
          ...counts.slice(6).map((c) => int(c)),
          ...NODES.flatMap((i) => [int(`reached${i}`), int(`lost${i}`), int(`inNode${i}`), ms(`stayMs${i}`), int(`stays${i}`), int(`stayLeads${i}`)]),
          int('levelA'),
          ms('updatedAt'),
        ],
      }),
    );
    await backfillFactsAndRollups(q.manager);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('lead_rollup');
    for (const [name] of INDEXES) await q.dropIndex('lead_fact', name);
    for (const c of ['profilePrimary', ...PENDING]) {
      if (isSqlite(q)) await q.query(`ALTER TABLE lead_fact DROP COLUMN \`${c}\``);
      else await q.dropColumn('lead_fact', c);
    }
  }
}
