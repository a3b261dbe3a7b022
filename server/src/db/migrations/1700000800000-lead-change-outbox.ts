import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { int, ms, pk, str } from './schema-helpers';

const idx = (name: string, columnNames: string[]) => new TableIndex({ name, columnNames });

/**
 * The transactional outbox of derived state: a business transaction (follow-up, lead edit, intake, delete…) adds one
 * row per lead it touched, in the same transaction; the projector (server/src/projector) claims rows with a lease,
 * recomputes the leads' facts, rollups, conversation flags and alarm timers from source rows, and deletes the rows
 * in that same projection transaction. `leaseUntil` doubles as "not before" for a lead whose projection failed.
 * Existing databases need no backfill: their derived state was written by the code before this one.
 */
export class LeadChangeOutbox1700000800000 implements MigrationInterface {
  name = 'LeadChangeOutbox1700000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'lead_change',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          ms('createdAt'),
          str('leaseOwner', 64, true),
          ms('leaseUntil', true),
          int('attempts', false, 0),
          str('lastError', 500, true),
        ],
        indices: [
          // The watermark of a company's dashboards: its oldest unprojected change.
          idx('idx_lead_change_company', ['companyId', 'createdAt']),
          idx('idx_lead_change_lead', ['leadId']),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('lead_change');
  }
}
