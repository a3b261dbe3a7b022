import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bool, column, int, ms, pk, str, text } from './schema-helpers';

const idx = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

/**
 * Partner API and consistency reports (docs/integrations.md): 渠道商 with their own keys (hash only), every lead a partner
 * referred (held for approval or linked to the lead it became; unique per partner and the partner's own reference); a
 * source's pull URL for the monthly comparison of key fields, and each comparison's result.
 */
export class PartnersConsistency1700002000000 implements MigrationInterface {
  name = 'PartnersConsistency1700002000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'partner',
        columns: [
          pk(),
          int('companyId'),
          str('name', 64),
          str('tag', 64),
          str('keyHash', 64),
          bool('requireApproval', false),
          bool('active', true),
          int('createdBy', true),
          ms('createdAt'),
          ms('updatedAt'),
        ],
        indices: [idx('idx_partner_company', ['companyId']), idx('uq_partner_key', ['keyHash'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'partner_referral',
        columns: [
          pk(),
          int('companyId'),
          int('partnerId'),
          str('ref', 64),
          str('status', 16),
          text('payload'),
          str('phone', 20),
          int('leadId', true),
          str('reason', 100, true),
          int('decidedBy', true),
          ms('decidedAt', true),
          ms('createdAt'),
        ],
        indices: [idx('uq_partner_referral_ref', ['partnerId', 'ref'], true), idx('idx_partner_referral_status', ['companyId', 'status', 'createdAt'])],
      }),
    );
    await q.addColumn('event_source', column(str('pullUrl', 500, true)));
    await q.createTable(
      new Table({
        name: 'consistency_run',
        columns: [
          pk(),
          int('companyId'),
          int('sourceId'),
          str('origin', 8),
          str('month', 7),
          int('rows'),
          int('checks'),
          int('matched'),
          text('differences'),
          int('createdBy', true),
          ms('createdAt'),
        ],
        indices: [idx('idx_consistency_run_company', ['companyId', 'createdAt'])],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('consistency_run');
    await q.dropColumn('event_source', 'pullUrl');
    await q.dropTable('partner_referral');
    await q.dropTable('partner');
  }
}
