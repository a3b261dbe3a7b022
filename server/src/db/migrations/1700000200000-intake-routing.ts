import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bool, int, ms, pk, str, text } from './schema-helpers';

/** Intake channels and their archive, routing pools/rules/decisions, imports, content by tag. */
export class IntakeRouting1700000200000 implements MigrationInterface {
  name = 'IntakeRouting1700000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'routing_pool',
        // rrCursor, not `cursor`: CURSOR is a reserved word in MySQL.
        columns: [
          pk(),
          int('companyId'),
          str('name', 64),
          int('orgUnitId'),
          int('rrCursor', false, 0),
          ms('createdAt'),
          ms('updatedAt'),
          ms('deletedAt', true),
        ],
        indices: [new TableIndex({ name: 'idx_routing_pool_company', columnNames: ['companyId'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'routing_pool_member',
        columns: [
          pk(),
          int('companyId'),
          int('poolId'),
          int('userId'),
          int('weight', false, 1),
          int('cap', true),
          text('shifts', true),
          int('position', false, 0),
        ],
        indices: [new TableIndex({ name: 'uq_pool_member', columnNames: ['poolId', 'userId'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'routing_rule_set',
        columns: [pk(), int('companyId'), int('version'), text('body'), int('createdBy', true), ms('createdAt')],
        indices: [new TableIndex({ name: 'uq_rule_set_version', columnNames: ['companyId', 'version'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'routing_decision',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          str('kind', 16),
          str('autoKey', 8, true),
          int('ruleSetVersion', true),
          int('ruleIndex', true),
          str('ruleName', 64, true),
          int('poolId', true),
          int('ownerId', true),
          str('outcome', 16),
          int('cursorBefore', true),
          int('cursorAfter', true),
          text('reasons'),
          int('actorId', true),
          ms('at'),
          str('requestId', 64, true),
        ],
        indices: [
          // One automatic decision per lead: a lead is routed exactly once, whatever races happen.
          new TableIndex({ name: 'uq_routing_decision_auto', columnNames: ['leadId', 'autoKey'], isUnique: true }),
          new TableIndex({ name: 'idx_routing_decision_company_lead', columnNames: ['companyId', 'leadId'] }),
          new TableIndex({ name: 'idx_routing_decision_pool', columnNames: ['companyId', 'poolId', 'outcome'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'intake_channel',
        columns: [
          pk(),
          int('companyId'),
          str('code', 32),
          str('name', 64),
          str('tag', 64),
          str('kind', 16),
          str('keyHash', 64),
          text('mapping'),
          bool('active', true),
          int('createdBy', true),
          ms('createdAt'),
          ms('updatedAt'),
        ],
        indices: [new TableIndex({ name: 'uq_intake_channel_code', columnNames: ['code'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'intake_record',
        columns: [
          pk(),
          int('companyId'),
          int('channelId'),
          str('externalId', 64, true),
          int('leadId', true),
          str('outcome', 16),
          str('reason', 200, true),
          text('payload'),
          ms('createdAt'),
        ],
        indices: [
          // The platform's lead id makes a push idempotent; NULL (no id) never collides.
          new TableIndex({ name: 'uq_intake_record_external', columnNames: ['channelId', 'externalId'], isUnique: true }),
          new TableIndex({ name: 'idx_intake_record_lead', columnNames: ['companyId', 'leadId'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'import_job',
        columns: [
          pk(),
          int('companyId'),
          str('filename', 128),
          str('format', 8),
          str('encoding', 16, true),
          str('channel', 64),
          str('status', 16),
          int('total', false, 0),
          int('processed', false, 0),
          int('created', false, 0),
          int('merged', false, 0),
          int('rejected', false, 0),
          text('report'),
          str('error', 200, true),
          int('createdBy'),
          ms('createdAt'),
          ms('finishedAt', true),
        ],
        indices: [new TableIndex({ name: 'idx_import_job_company', columnNames: ['companyId', 'createdAt'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'content_item',
        columns: [pk(), int('companyId'), str('tag', 20), str('title', 64), str('url', 255), int('createdBy', true), ms('createdAt'), ms('deletedAt', true)],
        indices: [new TableIndex({ name: 'idx_content_item_tag', columnNames: ['companyId', 'tag'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'content_queue',
        columns: [
          pk(),
          int('companyId'),
          int('customerId'),
          int('contentId'),
          str('reason', 100),
          str('status', 8),
          ms('queuedAt'),
          ms('sentAt', true),
          int('sentBy', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_content_queue_item', columnNames: ['customerId', 'contentId'], isUnique: true }),
          new TableIndex({ name: 'idx_content_queue_customer', columnNames: ['companyId', 'customerId', 'status'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'content_queue',
      'content_item',
      'import_job',
      'intake_record',
      'intake_channel',
      'routing_decision',
      'routing_rule_set',
      'routing_pool_member',
      'routing_pool',
    ]) {
      await q.dropTable(t);
    }
  }
}
