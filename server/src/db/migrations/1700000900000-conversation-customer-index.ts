import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The projector recomputes the conversations of the customers it projects (`conversationsStep`): found by customer,
 * for every rep and day. Without this index that read scanned every conversation of the company.
 */
export class ConversationCustomerIndex1700000900000 implements MigrationInterface {
  name = 'ConversationCustomerIndex1700000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('conversation', new TableIndex({ name: 'idx_conversation_customer', columnNames: ['companyId', 'customerId', 'day'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('conversation', 'idx_conversation_customer');
  }
}
