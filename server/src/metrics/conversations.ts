import type { EntityManager } from 'typeorm';
import { CONVERSATION_SOURCES, chinaDayOf, chinaDayStart, dayString } from '@lifeline/shared';
import { insertIgnore } from './sql';

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
  // Insert-or-keep: a concurrent report of the same conversation leaves the first row as it was.
  await insertIgnore(em, 'conversation', {
    companyId: c.companyId, repId: c.repId, customerId: c.customerId, day, firstAt: c.at, source: c.source,
    followupAt, updatedAt: c.at,
  });
}

/** After a follow-up is recorded, withdrawn or restored: its day's conversation is followed exactly when one remains. */
export async function syncConversationFollowed(
  em: EntityManager,
  f: { companyId: number; authorId: number; customerId: number; createdAt: number },
  at: number,
): Promise<void> {
  const day = chinaDayOf(f.createdAt);
  const followupAt = await firstFollowupOfDay(em, f.companyId, f.authorId, f.customerId, day);
  await em.query(
    'UPDATE conversation SET followupAt = ?, updatedAt = ? WHERE companyId = ? AND repId = ? AND customerId = ? AND day = ?',
    [followupAt, at, f.companyId, f.authorId, f.customerId, day],
  );
}
