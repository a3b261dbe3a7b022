import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { int, ms, pk, str, text } from './schema-helpers';

const idx = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

/** Alarm engine: durable timers, raised alarms, the per-recipient outbox, scripts, script picks, callback receipts. */
export class Alarms1700000100000 implements MigrationInterface {
  name = 'Alarms1700000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'alarm_timer',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          str('rule', 16),
          ms('dueAt'),
          str('state', 12),
          str('leaseOwner', 64, true),
          ms('leaseUntil', true),
          ms('firedAt', true),
          ms('createdAt'),
          ms('updatedAt'),
        ],
        indices: [
          idx('uq_alarm_timer_lead_rule', ['leadId', 'rule'], true),
          // The tick reads only due rows: cost follows the number of due timers, not of leads.
          idx('idx_alarm_timer_due', ['state', 'dueAt']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'alarm',
        columns: [
          pk(),
          int('companyId'),
          int('leadId'),
          int('timerId'),
          str('rule', 16),
          ms('dueAt'),
          ms('firedAt'),
          str('taskId', 64),
          int('repId', true),
          text('card'),
          text('scripts'),
          int('handledBy', true),
          ms('handledAt', true),
          str('handledHow', 64, true),
        ],
        indices: [
          idx('uq_alarm_timer_due', ['timerId', 'dueAt'], true),
          idx('uq_alarm_task', ['taskId'], true),
          idx('idx_alarm_company_lead', ['companyId', 'leadId']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'alarm_message',
        columns: [
          pk(),
          int('companyId'),
          int('alarmId', true),
          int('recipientId'),
          str('kind', 12),
          str('channel', 12),
          str('state', 12),
          int('attempts', false, 0),
          ms('nextAttemptAt'),
          str('lastError', 255, true),
          ms('sentAt', true),
          ms('actedAt', true),
          str('platformRef', 255, true),
          int('digestId', true),
          str('leaseOwner', 64, true),
          ms('leaseUntil', true),
          text('payload'),
          str('dedupeKey', 96),
          ms('createdAt'),
          ms('updatedAt'),
        ],
        indices: [
          idx('uq_alarm_message_dedupe', ['companyId', 'dedupeKey'], true),
          idx('idx_alarm_message_due', ['state', 'nextAttemptAt']),
          idx('idx_alarm_message_alarm', ['alarmId']),
          idx('idx_alarm_message_recipient', ['recipientId', 'sentAt']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'script',
        columns: [
          pk(),
          int('companyId'),
          str('code', 32),
          str('category', 16),
          str('title', 32),
          str('text', 500),
          text('tags'),
          str('journeyNode', 16, true),
          str('concern', 16, true),
          int('sendCount', false, 0),
          int('progressCount', false, 0),
          ms('createdAt'),
          ms('updatedAt'),
          ms('deletedAt', true),
        ],
        indices: [idx('uq_script_company_code', ['companyId', 'code'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'script_pick',
        columns: [
          pk(),
          int('companyId'),
          int('alarmId', true),
          int('scriptId'),
          int('leadId'),
          int('repId'),
          text('text'),
          ms('pickedAt'),
          ms('sentAt', true),
          ms('progressedAt', true),
        ],
        indices: [
          idx('uq_script_pick_alarm', ['companyId', 'alarmId', 'repId', 'scriptId'], true),
          idx('idx_script_pick_rep_lead', ['companyId', 'repId', 'leadId']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'callback_receipt',
        columns: [pk(), str('platform', 16), str('dedupeKey', 160), ms('receivedAt')],
        indices: [idx('uq_callback_receipt', ['platform', 'dedupeKey'], true)],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['callback_receipt', 'script_pick', 'script', 'alarm_message', 'alarm', 'alarm_timer']) await q.dropTable(t);
  }
}
