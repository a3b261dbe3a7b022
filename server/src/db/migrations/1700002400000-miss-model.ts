import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { int, ms, pk, text } from './schema-helpers';

/** Learned early warnings (docs/alarms.md): each company's latest miss model, its curves and the hours it set. */
export class MissModel1700002400000 implements MigrationInterface {
  name = 'MissModel1700002400000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'miss_model',
        columns: [pk(), int('companyId'), int('leads'), text('curves'), text('learned'), ms('computedAt')],
        indices: [new TableIndex({ name: 'uq_miss_model_company', columnNames: ['companyId'], isUnique: true })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('miss_model');
  }
}
