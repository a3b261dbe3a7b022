import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { int, ms, pk, str, text } from './schema-helpers';

/**
 * Per-company snapshots of the business tables (docs/data-safety.md): one row per file, `complete` only once the file is
 * whole. One row per company and slot, so processes that fire the same schedule write it once.
 */
export class Snapshot1700001600000 implements MigrationInterface {
  name = 'Snapshot1700001600000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'snapshot',
        columns: [
          pk(),
          int('companyId'),
          str('slot', 64),
          str('trigger', 12),
          str('status', 12),
          str('file', 255),
          ms('takenAt', true),
          ms('startedAt'),
          ms('finishedAt', true),
          ms('leaseUntil', true),
          { name: 'sizeBytes', type: 'bigint', isNullable: true },
          text('rowCounts', true),
          text('checksums', true),
          str('sha256', 64, true),
          str('error', 255, true),
          int('createdBy', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_snapshot_slot', columnNames: ['companyId', 'slot'], isUnique: true }),
          new TableIndex({ name: 'idx_snapshot_company_taken', columnNames: ['companyId', 'takenAt'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('snapshot');
  }
}
