import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Covering indexes for the two dashboard reads that otherwise visit table rows (found with EXPLAIN on a million leads,
 * `npm run bench:metrics`): the battle map's backlog (open leads of the reps in scope, whatever their entry date) and
 * the entry rate (conversations of a date range). Both become index-only range scans.
 */
export class MetricsIndexes1700000400000 implements MigrationInterface {
  name = 'MetricsIndexes1700000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('lead_fact', new TableIndex({
      name: 'idx_lead_fact_backlog',
      columnNames: ['companyId', 'status', 'ownerId', 'deletedAt', 'orgUnitId', 'assignTouchAt', 'assignedAt', 'nextStepDueAt', 'updatedAt'],
    }));
    await q.createIndex('conversation', new TableIndex({
      name: 'idx_conversation_day_cover',
      columnNames: ['companyId', 'day', 'repId', 'followupAt', 'updatedAt'],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('conversation', 'idx_conversation_day_cover');
    await q.dropIndex('lead_fact', 'idx_lead_fact_backlog');
  }
}
