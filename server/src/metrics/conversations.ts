import type { EntityManager } from 'typeorm';
import { CONVERSATION_SOURCES, chinaDayOf, chinaDayStart, dayString } from '@lifeline/shared';
import { deferWrite } from '../db/statement-batch';
import { isUniqueViolation } from '../db/tx';
import { upsertRow } from './sql';

export type ConversationSource = (typeof CONVERSATION_SOURCES)[number];

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
): Promise<void> {
  const day = chinaDayOf(c.at);
  const [existing] = await em.query(
    'SELECT id FROM conversation WHERE companyId = ? AND repId = ? AND customerId = ? AND day = ?',
    [c.companyId, c.repId, c.customerId, day],
  );
  if (existing) return;
  const followupAt = await firstFollowupOfDay(em, c.companyId, c.repId, c.customerId, day);
  try {
    await em.query(
      'INSERT INTO conversation (companyId, repId, customerId, day, firstAt, source, followupAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [c.companyId, c.repId, c.customerId, day, c.at, c.source, followupAt, c.at],
    );
  } catch (err) {
    // A concurrent report of the same conversation got there first: keep its row (and its count) as it is.
    if (isUniqueViolation(err)) return;
    throw err;
  }
  await countConversations(em, c.companyId, c.repId, day, 1, followupAt === null ? 0 : 1, c.at);
}

/** Keeps rep_day's conversation counters in step with the conversation rows, in the same transaction. */
async function countConversations(em: EntityManager, companyId: number, repId: number, day: number, conversations: number, followed: number, at: number) {
  await upsertRow(em, 'rep_day', ['companyId', 'repId', 'day'],
    { companyId, repId, day, conversations, followedConversations: followed, updatedAt: at }, { add: ['conversations', 'followedConversations'] });
}

type FollowupRef = { companyId: number; authorId: number; customerId: number; createdAt: number };
type ConversationRow = { followupAt: unknown } | undefined;

/** After a follow-up is recorded, withdrawn or restored: its day's conversation is followed exactly when one remains. */
export async function syncConversationFollowed(
  em: EntityManager,
  f: FollowupRef,
  at: number,
  change: 'created' | 'deleted' | 'restored',
  read?: { row: ConversationRow },
): Promise<void> {
  const day = chinaDayOf(f.createdAt);
  const conv = read ? read.row : ((await em.query(
    'SELECT followupAt FROM conversation WHERE companyId = ? AND repId = ? AND customerId = ? AND day = ?',
    [f.companyId, f.authorId, f.customerId, day],
  )) as { followupAt: unknown }[])[0];
  if (!conv) return;
  const known = conv.followupAt === null || conv.followupAt === undefined ? null : Number(conv.followupAt);
  // A new follow-up can only make the day's first follow-up earlier: no need to look the others up.
  if (change === 'created' && known !== null && known <= f.createdAt) return;
  const followupAt = change === 'created' ? f.createdAt : await firstFollowupOfDay(em, f.companyId, f.authorId, f.customerId, day);
  const was = conv.followupAt !== null && conv.followupAt !== undefined;
  if (was !== (followupAt !== null)) await countConversations(em, f.companyId, f.authorId, day, 0, followupAt === null ? -1 : 1, at);
  await deferWrite(em,
    'UPDATE conversation SET followupAt = ?, updatedAt = ? WHERE companyId = ? AND repId = ? AND customerId = ? AND day = ?',
    [followupAt, at, f.companyId, f.authorId, f.customerId, day],
  );
}

/** The conversation key of a follow-up: its author, customer and China-time day. */
export const conversationKey = (f: FollowupRef) => `${f.companyId}:${f.authorId}:${f.customerId}:${chinaDayOf(f.createdAt)}`;

/**
 * `syncConversationFollowed` for the follow-up changes of one transaction, grouped by conversation: the conversations
 * are read in one statement; the changes of one conversation apply in order (the second re-reads what the first left).
 */
export async function syncConversationsFollowed(
  em: EntityManager,
  byKey: Map<string, { f: FollowupRef; at: number; change: 'created' | 'deleted' | 'restored' }[]>,
): Promise<void> {
  const firsts = [...byKey.values()].map((list) => list[0].f);
  const rows = new Map<string, ConversationRow>();
  if (firsts.length) {
    const found: { companyId: unknown; repId: unknown; customerId: unknown; day: unknown; followupAt: unknown }[] = await em.query(
      `SELECT companyId, repId, customerId, day, followupAt FROM conversation
        WHERE ${firsts.map(() => '(companyId = ? AND repId = ? AND customerId = ? AND day = ?)').join(' OR ')}`,
      firsts.flatMap((f) => [f.companyId, f.authorId, f.customerId, chinaDayOf(f.createdAt)]),
    );
    for (const r of found) rows.set(`${Number(r.companyId)}:${Number(r.repId)}:${Number(r.customerId)}:${Number(r.day)}`, { followupAt: r.followupAt });
  }
  for (const [key, list] of byKey) {
    for (const [i, c] of list.entries()) await syncConversationFollowed(em, c.f, c.at, c.change, i === 0 ? { row: rows.get(key) } : undefined);
  }
}
