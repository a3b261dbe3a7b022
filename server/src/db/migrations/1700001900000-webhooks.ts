import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bool, int, ms, pk, str, text } from './schema-helpers';

const idx = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

/**
 * Outbound webhooks (docs/integrations.md): subscriptions (URL, events, secret; paused after repeated failures) and
 * one delivery row per event per subscription, queued in the transaction of the change and sent under a lease with
 * retries and an attempt log.
 */
export class Webhooks1700001900000 implements MigrationInterface {
  name = 'Webhooks1700001900000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'webhook_subscription',
        columns: [
          pk(),
          int('companyId'),
          str('url', 500),
          text('events'),
          str('description', 100, true),
          str('secret', 128),
          bool('active', true),
          ms('pausedAt', true),
          str('pauseReason', 200, true),
          int('consecutiveFailures', false, 0),
          int('createdBy', true),
          ms('createdAt'),
          ms('updatedAt'),
          ms('deletedAt', true),
        ],
        indices: [idx('idx_webhook_subscription_company', ['companyId'])],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_delivery',
        columns: [
          pk(),
          int('companyId'),
          int('subscriptionId'),
          str('eventId', 64),
          str('eventType', 32),
          text('payload'),
          str('state', 16),
          int('attempts', false, 0),
          ms('nextAttemptAt'),
          int('lastStatus', true),
          str('lastError', 200, true),
          text('log'),
          str('leaseOwner', 64, true),
          ms('leaseUntil', true),
          ms('deliveredAt', true),
          ms('createdAt'),
          ms('updatedAt'),
        ],
        indices: [
          idx('uq_webhook_delivery_event', ['subscriptionId', 'eventId'], true),
          idx('idx_webhook_delivery_due', ['state', 'nextAttemptAt']),
          idx('idx_webhook_delivery_log', ['companyId', 'subscriptionId', 'createdAt']),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('webhook_delivery');
    await q.dropTable('webhook_subscription');
  }
}
