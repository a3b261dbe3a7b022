import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { addNullableColumn, dropColumnInPlace, int } from './schema-helpers';

/** KA co-owner (双人协同, docs/screens.md): a second person on a lead who sees it and gets its reminders as a copy. */
export class LeadCoOwner1700002500000 implements MigrationInterface {
  name = 'LeadCoOwner1700002500000';

  async up(q: QueryRunner): Promise<void> {
    await addNullableColumn(q, 'lead', int('coOwnerId', true));
    await q.createIndex('lead', new TableIndex({ name: 'idx_lead_company_coowner', columnNames: ['companyId', 'coOwnerId'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('lead', 'idx_lead_company_coowner');
    await dropColumnInPlace(q, 'lead', 'coOwnerId');
  }
}
