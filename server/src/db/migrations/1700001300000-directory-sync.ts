import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { int, ms, pk, str, text } from './schema-helpers';

const idx = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

/**
 * Directory sync (docs/directory.md):
 * - directory_sync_run: one full sync of a company's WeCom / DingTalk directory. A leased worker fetches it page by page
 *   into directory_sync_item (so a run cut off resumes where it stopped: `deptsDone` of `deptsTotal`), then applies the
 *   whole plan in one transaction. `activeCompanyId` is the company while the run is not finished (unique: one live
 *   run per company, however many processes schedule one) and NULL afterwards.
 * - directory_sync_item: the departments and members fetched by a run (payload JSON), deleted when the run ends.
 * - directory_event: a contact-change event (WeCom change_contact, DingTalk user_*_org / org_dept_*), one row per user
 *   or department it names; `dedupeKey` is unique so a replayed delivery is ignored. A leased worker re-reads the
 *   member or department and applies the one change.
 */
export class DirectorySync1700001300000 implements MigrationInterface {
  name = 'DirectorySync1700001300000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'directory_sync_run',
        columns: [
          pk(),
          int('companyId'),
          int('activeCompanyId', true),
          str('platform', 16),
          str('status', 16),
          str('origin', 16),
          int('requestedBy', true),
          int('approvedBy', true),
          int('deptsTotal', false, 0),
          int('deptsDone', false, 0),
          int('membersFetched', false, 0),
          int('attempts', false, 0),
          ms('notBefore'),
          str('leaseOwner', 64, true),
          ms('leaseUntil', true),
          text('summary', true),
          text('issues', true),
          str('errorKind', 16, true),
          str('error', 500, true),
          ms('createdAt'),
          ms('updatedAt'),
          ms('finishedAt', true),
        ],
        indices: [
          idx('uq_directory_sync_run_active', ['activeCompanyId'], true),
          idx('idx_directory_sync_run_company', ['companyId', 'id']),
          idx('idx_directory_sync_run_due', ['status', 'notBefore']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'directory_sync_item',
        columns: [pk(), int('runId'), str('kind', 8), str('deptId', 64), str('itemId', 64), int('seq'), text('payload')],
        indices: [idx('uq_directory_sync_item', ['runId', 'kind', 'deptId', 'itemId'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'directory_event',
        columns: [
          pk(),
          int('companyId'),
          str('platform', 16),
          str('dedupeKey', 191),
          str('eventType', 32),
          str('kind', 8),
          str('externalId', 64),
          str('previousId', 64, true),
          str('state', 16),
          int('attempts', false, 0),
          ms('notBefore'),
          str('leaseOwner', 64, true),
          ms('leaseUntil', true),
          str('outcome', 500, true),
          ms('receivedAt'),
          ms('processedAt', true),
        ],
        indices: [
          idx('uq_directory_event_dedupe', ['dedupeKey'], true),
          idx('idx_directory_event_due', ['state', 'notBefore']),
          idx('idx_directory_event_company', ['companyId', 'id']),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('directory_event');
    await q.dropTable('directory_sync_item');
    await q.dropTable('directory_sync_run');
  }
}
