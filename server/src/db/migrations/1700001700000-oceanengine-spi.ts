import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column, str, text } from './schema-helpers';

/**
 * 巨量引擎 SPI push (docs/intake-routing.md): a channel keeps the subscription's signing secret (an HMAC needs it in
 * clear) and per-kind options (the service labels that carry clues); an archived push keeps the platform's
 * `message_id`, unique per channel, so a redelivery is recognised before its clue is read.
 */
export class OceanengineSpi1700001700000 implements MigrationInterface {
  name = 'OceanengineSpi1700001700000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('intake_channel', [column(str('secret', 128, true)), column(text('options', true))]);
    await q.addColumn('intake_record', column(str('messageId', 64, true)));
    await q.createIndex('intake_record', new TableIndex({ name: 'uq_intake_record_message', columnNames: ['channelId', 'messageId'], isUnique: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('intake_record', 'uq_intake_record_message');
    await q.dropColumn('intake_record', 'messageId');
    await q.dropColumns('intake_channel', ['secret', 'options']);
  }
}
