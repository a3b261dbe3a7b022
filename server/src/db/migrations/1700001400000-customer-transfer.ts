import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { int, ms, pk, str } from './schema-helpers';

const idx = (name: string, columnNames: string[]) => new TableIndex({ name, columnNames });

/**
 * WeCom customer inheritance (离职继承 / 在职继承, docs/people.md): one row per external contact handed from one member
 * to another, queued in the transaction that deactivates or reassigns the member and worked by the transfer worker
 * (server/src/users/transfer-worker.ts) under a lease: sent in calls of ≤100, results polled until done or failed.
 * A row with no externalUserId stands for "every contact of the handover member": the worker lists them first.
 * Users are Lifeline ids; the WeCom user ids are kept as they were when the row was queued.
 */
export class CustomerTransfer1700001400000 implements MigrationInterface {
  name = 'CustomerTransfer1700001400000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'customer_transfer',
        columns: [
          pk(),
          int('companyId'),
          str('kind', 12),
          int('handoverUserId'),
          int('takeoverUserId'),
          str('handoverPlatformId', 64),
          str('takeoverPlatformId', 64),
          str('externalUserId', 64, true),
          str('status', 12),
          int('attempts', false, 0),
          int('errcode', true),
          str('error', 255, true),
          str('reason', 64, true),
          ms('nextAttemptAt'),
          str('leaseOwner', 64, true),
          ms('leaseUntil', true),
          ms('sentAt', true),
          ms('doneAt', true),
          int('actorId', true),
          ms('createdAt'),
          ms('updatedAt'),
        ],
        indices: [
          idx('idx_customer_transfer_due', ['status', 'nextAttemptAt']),
          idx('idx_customer_transfer_company', ['companyId', 'status']),
          idx('idx_customer_transfer_handover', ['companyId', 'handoverUserId']),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('customer_transfer');
  }
}
