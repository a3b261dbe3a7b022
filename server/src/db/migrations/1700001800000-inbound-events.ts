import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bool, int, ms, pk, str, text } from './schema-helpers';

const idx = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

/**
 * Inbound business events (docs/integrations.md): sources that send them (signed, mapped by JSON paths), every event
 * archived once per (source, event id) with its outcome (applied / parked for review / dismissed), money received per
 * lead (finance 回款: revenue per lead and channel) and after-sales tickets per customer (health score, card warning).
 */
export class InboundEvents1700001800000 implements MigrationInterface {
  name = 'InboundEvents1700001800000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'event_source',
        columns: [
          pk(),
          int('companyId'),
          str('code', 32),
          str('name', 64),
          str('kind', 16),
          str('secret', 128),
          text('mapping'),
          text('faultCategories'),
          bool('active', true),
          int('createdBy', true),
          ms('createdAt'),
          ms('updatedAt'),
        ],
        indices: [idx('uq_event_source_code', ['code'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'inbound_event',
        columns: [
          pk(),
          int('companyId'),
          int('sourceId'),
          str('eventId', 64),
          str('kind', 16),
          str('payloadHash', 64),
          text('payload'),
          str('status', 16),
          str('reason', 200, true),
          int('customerId', true),
          int('leadId', true),
          ms('occurredAt'),
          ms('receivedAt'),
          ms('resolvedAt', true),
          int('resolvedBy', true),
        ],
        indices: [
          idx('uq_inbound_event_source', ['sourceId', 'eventId'], true),
          idx('idx_inbound_event_status', ['companyId', 'status', 'receivedAt']),
          idx('idx_inbound_event_customer', ['companyId', 'customerId']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'lead_revenue',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          int('customerId'),
          str('channel', 64),
          ms('amountFen'),
          str('contractNo', 64, true),
          ms('paidAt'),
          int('inboundEventId'),
          ms('createdAt'),
          ms('deletedAt', true),
        ],
        indices: [idx('idx_lead_revenue_paid', ['companyId', 'paidAt']), idx('idx_lead_revenue_lead', ['companyId', 'leadId'])],
      }),
    );
    await q.createTable(
      new Table({
        name: 'service_ticket',
        columns: [
          pk(),
          int('companyId'),
          int('sourceId'),
          int('customerId'),
          str('ticketId', 64),
          str('category', 32),
          bool('fault', false),
          str('status', 16),
          str('summary', 200, true),
          ms('openedAt'),
          ms('closedAt', true),
          ms('updatedAt'),
        ],
        indices: [idx('uq_service_ticket_source', ['sourceId', 'ticketId'], true), idx('idx_service_ticket_customer', ['companyId', 'customerId', 'status'])],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['service_ticket', 'lead_revenue', 'inbound_event', 'event_source']) await q.dropTable(t);
  }
}
