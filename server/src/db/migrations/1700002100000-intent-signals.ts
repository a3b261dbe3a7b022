import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bool, int, ms, pk, str, text } from './schema-helpers';

const idx = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

/**
 * Live intent signals (docs/signals.md): a customer's chat identity and archive consent, the chat messages the archive
 * sidecar posts (once per source and message id; text only while retention allows), and every signal class seen for a
 * lead (once per lead, origin and class), from which the score's signal lines are computed.
 */
export class IntentSignals1700002100000 implements MigrationInterface {
  name = 'IntentSignals1700002100000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'chat_contact',
        columns: [
          pk(),
          int('companyId'),
          str('externalUserId', 64),
          int('customerId', true),
          str('consent', 16, true),
          ms('consentAt', true),
          ms('createdAt'),
          ms('updatedAt'),
        ],
        indices: [idx('uq_chat_contact', ['companyId', 'externalUserId'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'chat_message',
        columns: [
          pk(),
          int('companyId'),
          int('sourceId'),
          str('msgId', 64),
          str('type', 8),
          str('externalUserId', 64),
          int('customerId', true),
          int('leadId', true),
          int('userId', true),
          bool('fromCustomer', false),
          str('status', 16),
          text('text', true),
          ms('sentAt'),
          ms('receivedAt'),
        ],
        indices: [
          idx('uq_chat_message', ['sourceId', 'msgId'], true),
          idx('idx_chat_message_sent', ['companyId', 'sentAt']),
          idx('idx_chat_message_customer', ['companyId', 'customerId', 'sentAt']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'lead_signal',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          int('customerId'),
          str('name', 16),
          str('phrase', 20),
          int('points'),
          str('origin', 8),
          int('originRef'),
          ms('at'),
          ms('createdAt'),
        ],
        indices: [
          idx('uq_lead_signal', ['leadId', 'origin', 'originRef', 'name'], true),
          idx('idx_lead_signal_lead', ['companyId', 'leadId', 'at']),
          idx('idx_lead_signal_at', ['companyId', 'at']),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('lead_signal');
    await q.dropTable('chat_message');
    await q.dropTable('chat_contact');
  }
}
