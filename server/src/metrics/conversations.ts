import type { EntityManager } from 'typeorm';
import { CONVERSATION_SOURCES, chinaDayOf, chinaDayStart, dayString } from '@lifeline/shared';
import { isUniqueViolation } from '../db/tx';
import { customerLeadIds, recordLeadChanges } from '../projector/outbox';
import { upsertRow } from './sql';

type ConversationSource = (typeof CONVERSATION_SOURCES)[number];

const DAY = 24 * 3600_000;

/** The first non-deleted follow-up by this rep on this customer on that China-time day, if any. */
async function firstFollowupOfDay(em: EntityManager, companyId: number, repId: number, customerId: number, day: number) {
  const start = chinaDayStart(dayString(day));
  const [row] = await em.query(
    `SELECT MIN(createdAt) AS at FROM followup
      WHERE companyId = ? AND customerId = ? AND authorId = ? AND createdAt >= ? AND createdAt < ? AND deletedAt IS NULL`,
    [companyId, customerId, repId, start, start + DAY],
  );
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}

/**
 * A rep's conversation with a customer on a China-time day: one row however often it is reported
 * (idempotent), already followed when that rep recorded a follow-up earlier the same day.
 */
export async function recordConversation(
  em: EntityManager,
  c: { companyId: number; repId: number; customerId: number; at: number; source: ConversationSource },
  /** Now: when the change is recorded (the conversation itself may be reported late, `at` in the past). */
  recordedAt: number,
): Promise<void> {
  const day = chinaDayOf(c.at);
  const [existing] = await em.query('SELECT id FROM conversation WHERE companyId = ? AND repId = ? AND customerId = ? AND day = ?', [
    c.companyId,
    c.repId,
    c.customerId,
    day,
  ]);
  if (existing) return;
  const followupAt = await firstFollowupOfDay(em, c.companyId, c.repId, c.customerId, day);
  try {
    await em.query('INSERT INTO conversation (companyId, repId, customerId, day, firstAt, source, followupAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      c.companyId,
      c.repId,
      c.customerId,
      day,
      c.at,
      c.source,
      followupAt,
      c.at,
    ]);
  } catch (err) {
    // A concurrent report of the same conversation got there first: keep its row (and its count) as it is.
    if (isUniqueViolation(err)) return;
    throw err;
  }
  await countConversations(em, c.companyId, c.repId, day, 1, followupAt === null ? 0 : 1, c.at);
  // A follow-up of the same day still uncommitted as this ran is not in followupAt yet: the projector looks again
  // once both have committed (the follow-up's own change re-projects the customer's conversations too).
  await recordLeadChanges(em, c.companyId, await customerLeadIds(em, c.companyId, c.customerId), recordedAt);
}

/**
 * Keeps rep_day's conversation counters in step with the conversation rows: a new conversation is counted in the
 * transaction that inserts it (the unique key makes that once), and each later flip of its followed flag moves the
 * counter in the projection that flips it, under the conversation row's lock.
 */
export async function countConversations(
  em: EntityManager,
  companyId: number,
  repId: number,
  day: number,
  conversations: number,
  followed: number,
  at: number,
) {
  await upsertRow(
    em,
    'rep_day',
    ['companyId', 'repId', 'day'],
    { companyId, repId, day, conversations, followedConversations: followed, updatedAt: at },
    { add: ['conversations', 'followedConversations'] },
  );
}
