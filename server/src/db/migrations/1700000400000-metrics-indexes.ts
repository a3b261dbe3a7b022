import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column, int, ms } from './schema-helpers';

/**
 * Found with EXPLAIN on a million leads (`npm run bench:metrics`): a covering index for the battle map's backlog
 * (open leads of the reps in scope, whatever their entry date), and per rep × day conversation counters so the
 * entry rate adds up a few hundred `rep_day` rows instead of counting a month of conversations (≈ 200k rows).
 * The counters are filled from the existing conversations.
 */
export class MetricsIndexes1700000400000 implements MigrationInterface {
  name = 'MetricsIndexes1700000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex(
      'lead_fact',
      new TableIndex({
        name: 'idx_lead_fact_backlog',
        columnNames: ['companyId', 'status', 'ownerId', 'deletedAt', 'orgUnitId', 'assignTouchAt', 'assignedAt', 'nextStepDueAt', 'updatedAt'],
      }),
    );
    const sqlite = q.connection.options.type !== 'mysql';
    for (const [name, opts] of [
      ['conversations', int('conversations', false, 0)],
      ['followedConversations', int('followedConversations', false, 0)],
      ['updatedAt', { ...ms('updatedAt'), default: 0 }],
    ] as const) {
      if (sqlite) await q.query(`ALTER TABLE rep_day ADD COLUMN \`${name}\` ${name === 'updatedAt' ? 'bigint' : 'integer'} NOT NULL DEFAULT 0`);
      else await q.addColumn('rep_day', column(opts));
    }
    const counts: Record<string, unknown>[] = await q.query(
      `SELECT companyId, repId, day, COUNT(*) AS n, SUM(CASE WHEN followupAt IS NOT NULL THEN 1 ELSE 0 END) AS followed, MAX(updatedAt) AS at
         FROM conversation GROUP BY companyId, repId, day`,
    );
    for (const c of counts) {
      const [hit] = await q.query('SELECT 1 AS x FROM rep_day WHERE companyId = ? AND repId = ? AND day = ?', [c.companyId, c.repId, c.day]);
      if (hit)
        await q.query('UPDATE rep_day SET conversations = ?, followedConversations = ?, updatedAt = ? WHERE companyId = ? AND repId = ? AND day = ?', [
          c.n,
          c.followed ?? 0,
          c.at,
          c.companyId,
          c.repId,
          c.day,
        ]);
      else
        await q.query(
          'INSERT INTO rep_day (companyId, repId, day, scriptFollowups, conversations, followedConversations, updatedAt) VALUES (?, ?, ?, 0, ?, ?, ?)',
          [c.companyId, c.repId, c.day, c.n, c.followed ?? 0, c.at],
        );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of ['updatedAt', 'followedConversations', 'conversations']) {
      if (q.connection.options.type !== 'mysql') await q.query(`ALTER TABLE rep_day DROP COLUMN \`${name}\``);
      else await q.dropColumn('rep_day', name);
    }
    await q.dropIndex('lead_fact', 'idx_lead_fact_backlog');
  }
}
