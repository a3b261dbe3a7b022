import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ms, str } from './schema-helpers';

/**
 * One row per MySQL transaction, written just before its COMMIT (db/tx.ts): when the connection is lost while COMMIT
 * is on its way, another connection looks the row up to learn whether the unit committed. Swept after minutes.
 */
export class CommitMarker1700002600000 implements MigrationInterface {
  name = 'CommitMarker1700002600000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'commit_marker',
        columns: [{ ...str('id', 36), isPrimary: true }, ms('at')],
        indices: [new TableIndex({ name: 'idx_commit_marker_at', columnNames: ['at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('commit_marker');
  }
}
