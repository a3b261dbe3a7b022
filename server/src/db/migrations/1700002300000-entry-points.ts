import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { int, ms, pk, str, text } from './schema-helpers';

const idx = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

/** The entry leaderboard (docs/leaderboard.md): each follow-up's points with the reasons, once per follow-up. */
export class EntryPoints1700002300000 implements MigrationInterface {
  name = 'EntryPoints1700002300000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'entry_points',
        columns: [
          pk(),
          int('companyId'),
          int('followupId'),
          int('authorId'),
          int('orgUnitId', true),
          int('leadId'),
          int('points'),
          text('reasons'),
          str('conclusionKey', 100),
          int('day'),
          ms('at'),
          ms('voidedAt', true),
        ],
        indices: [
          idx('uq_entry_points_followup', ['followupId'], true),
          idx('idx_entry_points_day', ['companyId', 'day']),
          idx('idx_entry_points_author', ['companyId', 'authorId', 'at']),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('entry_points');
  }
}
