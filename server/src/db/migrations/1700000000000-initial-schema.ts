import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bool, int, ms, pk, str, text } from './schema-helpers';

const fk = (columnNames: string[], referencedTableName: string) =>
  // RESTRICT, never CASCADE: deletes are soft, and a hard delete must not take other rows with it.
  new TableForeignKey({ columnNames, referencedTableName, referencedColumnNames: ['id'], onDelete: 'RESTRICT' });

export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'company',
        columns: [pk(), str('name', 64), text('settings'), ms('createdAt')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'org_unit',
        columns: [
          pk(),
          int('companyId'),
          int('parentId', true),
          str('name', 64),
          str('kind', 16),
          str('path', 255),
          int('supervisorId', true),
          ms('createdAt'),
          ms('deletedAt', true),
        ],
        indices: [new TableIndex({ name: 'idx_org_unit_company_path', columnNames: ['companyId', 'path'] })],
        foreignKeys: [fk(['companyId'], 'company'), fk(['parentId'], 'org_unit')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'app_user',
        columns: [
          pk(),
          int('companyId'),
          str('name', 32),
          str('role', 16),
          int('orgUnitId', true),
          int('managerId', true),
          bool('active', true),
          str('wecomUserId', 64, true),
          str('dingtalkUserId', 64, true),
          ms('createdAt'),
          ms('updatedAt'),
          ms('deletedAt', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_user_company_role', columnNames: ['companyId', 'role', 'active'] }),
          new TableIndex({ name: 'uq_user_wecom', columnNames: ['companyId', 'wecomUserId'], isUnique: true }),
          new TableIndex({ name: 'uq_user_dingtalk', columnNames: ['companyId', 'dingtalkUserId'], isUnique: true }),
        ],
        foreignKeys: [fk(['companyId'], 'company'), fk(['orgUnitId'], 'org_unit'), fk(['managerId'], 'app_user')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'customer',
        columns: [
          pk(),
          int('companyId'),
          str('phone', 20),
          str('name', 32, true),
          str('province', 16, true),
          str('city', 16, true),
          str('carrier', 16, true),
          str('grade', 8, true),
          text('concerns'),
          text('tags'),
          int('createdBy', true),
          ms('createdAt'),
          ms('updatedAt'),
          ms('deletedAt', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_customer_company_phone', columnNames: ['companyId', 'phone'], isUnique: true }),
          new TableIndex({ name: 'idx_customer_company_city', columnNames: ['companyId', 'city'] }),
        ],
        foreignKeys: [fk(['companyId'], 'company')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'lead',
        columns: [
          pk(),
          int('companyId'),
          int('customerId'),
          str('channel', 64),
          str('campaign', 64, true),
          int('ownerId', true),
          int('orgUnitId', true),
          str('status', 16),
          str('journeyNode', 16),
          int('score', false, 0),
          text('scoreBreakdown'),
          str('lostReason', 100, true),
          ms('createdAt'),
          ms('assignedAt', true),
          ms('claimedAt', true),
          ms('firstFollowupAt', true),
          ms('lastFollowupAt', true),
          ms('nextStepDueAt', true),
          str('nextStepAction', 50, true),
          int('createdBy', true),
          ms('updatedAt'),
          ms('deletedAt', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_lead_company_owner_status', columnNames: ['companyId', 'ownerId', 'status'] }),
          new TableIndex({ name: 'idx_lead_company_created', columnNames: ['companyId', 'createdAt'] }),
          new TableIndex({ name: 'idx_lead_company_customer', columnNames: ['companyId', 'customerId'] }),
          new TableIndex({ name: 'idx_lead_company_first_fu', columnNames: ['companyId', 'firstFollowupAt', 'createdAt'] }),
          new TableIndex({ name: 'idx_lead_company_unit', columnNames: ['companyId', 'orgUnitId'] }),
        ],
        foreignKeys: [fk(['companyId'], 'company'), fk(['customerId'], 'customer'), fk(['ownerId'], 'app_user'), fk(['orgUnitId'], 'org_unit')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'followup',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          int('customerId'),
          int('authorId'),
          str('action', 16),
          str('conclusion', 100),
          ms('nextStepAt', true),
          str('nextStepAction', 50, true),
          str('source', 8),
          text('transcript', true),
          int('scriptId', true),
          str('clientRequestId', 64),
          str('requestHash', 64),
          ms('createdAt'),
          ms('deletedAt', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_followup_company_request', columnNames: ['companyId', 'clientRequestId'], isUnique: true }),
          new TableIndex({ name: 'idx_followup_company_lead', columnNames: ['companyId', 'leadId', 'createdAt'] }),
          new TableIndex({ name: 'idx_followup_company_customer', columnNames: ['companyId', 'customerId', 'createdAt'] }),
        ],
        foreignKeys: [fk(['companyId'], 'company'), fk(['leadId'], 'lead'), fk(['customerId'], 'customer'), fk(['authorId'], 'app_user')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'journey_event',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          str('fromNode', 16, true),
          str('toNode', 16),
          ms('at'),
          int('actorId', true),
          int('followupId', true),
          int('scriptId', true),
        ],
        indices: [new TableIndex({ name: 'idx_journey_company_lead', columnNames: ['companyId', 'leadId', 'at'] })],
        foreignKeys: [fk(['companyId'], 'company'), fk(['leadId'], 'lead')],
      }),
    );

    await q.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          pk(),
          int('companyId'),
          str('entity', 32),
          int('entityId'),
          str('action', 16),
          str('field', 64),
          text('before', true),
          text('after', true),
          int('actorId', true),
          ms('at'),
          str('requestId', 64, true),
        ],
        indices: [
          new TableIndex({ name: 'idx_audit_company_entity', columnNames: ['companyId', 'entity', 'entityId'] }),
          new TableIndex({ name: 'idx_audit_company_at', columnNames: ['companyId', 'at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_log', 'journey_event', 'followup', 'lead', 'customer', 'app_user', 'org_unit', 'company']) {
      await q.dropTable(t);
    }
  }
}
