import type { EntityManager } from 'typeorm';
import { chinaDayOf, chinaDayStart, dayString } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { ProjectionStep } from '../projector/step';
import { refreshLeadFacts } from './facts';
import { effectiveSettings } from '../companies/settings';
import { countConversations } from './conversations';
import { marks } from './sql';
import { forUpdate } from '../db/kind';

/** lead_fact rows and the rollups, recomputed from the leads' source rows (see facts.ts). */
export function factsStep(app: Pick<AppContext, 'checkpoints'>): ProjectionStep {
  return {
    name: 'facts',
    project: (em, b) =>
      refreshLeadFacts(em, b.companyId, b.leadIds, {
        at: b.now,
        settings: effectiveSettings(b.companySettings),
        afterLock: () => app.checkpoints.reach('facts:afterLock'),
      }),
  };
}

type ConversationRow = { id: number; repId: number; customerId: number; day: number; followupAt: number | null };

/**
 * The conversations of the batch's customers: each is followed when its rep recorded a live follow-up with that
 * customer on that China-time day (`followupAt` = the first). A flag that flips moves rep_day.followedConversations
 * by one, under the conversation row's lock, so the counter always equals the flags.
 */
export const conversationsStep: ProjectionStep = {
  name: 'conversations',
  async project(em, b) {
    const customers: { customerId: number }[] = await em.query(
      `SELECT DISTINCT customerId FROM \`lead\` WHERE companyId = ? AND id IN (${marks(b.leadIds.length)})`,
      [b.companyId, ...b.leadIds],
    );
    const customerIds = customers.map((c) => Number(c.customerId)).sort((x, y) => x - y);
    if (!customerIds.length) return;
    const convs = await lockConversations(em, b.companyId, customerIds);
    if (!convs.length) return;
    const firsts = await firstFollowups(em, b.companyId, customerIds, Math.min(...convs.map((c) => chinaDayStart(dayString(c.day)))));
    const deltas = new Map<string, { repId: number; day: number; n: number }>();
    for (const c of convs) {
      const want = firsts.get(`${c.repId}:${c.customerId}:${c.day}`) ?? null;
      if (want === c.followupAt) continue;
      await em.query('UPDATE conversation SET followupAt = ?, updatedAt = ? WHERE id = ?', [want, b.now, c.id]);
      if ((want === null) === (c.followupAt === null)) continue;
      const key = `${c.repId}:${c.day}`;
      const d = deltas.get(key) ?? { repId: c.repId, day: c.day, n: 0 };
      d.n += want === null ? -1 : 1;
      deltas.set(key, d);
    }
    for (const d of [...deltas.values()].sort((x, y) => x.repId - y.repId || x.day - y.day)) {
      if (d.n !== 0) await countConversations(em, b.companyId, d.repId, d.day, 0, d.n, b.now);
    }
  },
};

async function lockConversations(em: EntityManager, companyId: number, customerIds: number[]): Promise<ConversationRow[]> {
  const rows: Record<string, unknown>[] = await em.query(
    `SELECT id, repId, customerId, day, followupAt FROM conversation WHERE companyId = ? AND customerId IN (${marks(customerIds.length)})
      ORDER BY id${forUpdate(em)}`,
    [companyId, ...customerIds],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    repId: Number(r.repId),
    customerId: Number(r.customerId),
    day: Number(r.day),
    followupAt: r.followupAt === null || r.followupAt === undefined ? null : Number(r.followupAt),
  }));
}

/** The first live follow-up per rep × customer × China-time day, from `since` on. */
async function firstFollowups(em: EntityManager, companyId: number, customerIds: number[], since: number): Promise<Map<string, number>> {
  const rows: { authorId: number; customerId: number; createdAt: number }[] = await em.query(
    `SELECT authorId, customerId, createdAt FROM followup
      WHERE companyId = ? AND customerId IN (${marks(customerIds.length)}) AND deletedAt IS NULL AND createdAt >= ?`,
    [companyId, ...customerIds, since],
  );
  const out = new Map<string, number>();
  for (const r of rows) {
    const at = Number(r.createdAt);
    const key = `${Number(r.authorId)}:${Number(r.customerId)}:${chinaDayOf(at)}`;
    const known = out.get(key);
    if (known === undefined || at < known) out.set(key, at);
  }
  return out;
}
