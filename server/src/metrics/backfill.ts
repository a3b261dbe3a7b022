import type { EntityManager } from 'typeorm';
import { chinaDayOf } from '@lifeline/shared';
import type { CompanySettings } from '../companies/settings';
import { refreshLeadFacts, settingsOf } from './facts';
import { marks, upsertRow } from './sql';

/**
 * Builds the metrics rows for data that predates them (run by the metrics migration): each lead's signing
 * time, its journey stays from the journey events, its fact row, and the per-rep script counters.
 * Batches by lead id, so a million leads never sit in memory at once.
 */
export async function backfillMetrics(em: EntityManager, batch = 1000): Promise<number> {
  await em.query(
    `UPDATE \`lead\` SET signedAt = (SELECT MIN(f.createdAt) FROM followup f
       WHERE f.leadId = \`lead\`.id AND f.action = '已签约' AND f.deletedAt IS NULL) WHERE signedAt IS NULL`,
  );
  const settings = new Map<number, CompanySettings>();
  let after = 0;
  let done = 0;
  for (;;) {
    const leads: { id: number; companyId: number }[] = await em.query(
      `SELECT id, companyId FROM \`lead\` WHERE id > ? ORDER BY id LIMIT ${batch}`, [after],
    );
    if (!leads.length) break;
    after = Number(leads[leads.length - 1].id);
    const ids = leads.map((l) => Number(l.id));
    const events: Record<string, unknown>[] = await em.query(
      `SELECT companyId, leadId, toNode, at, actorId, followupId, scriptId FROM journey_event
        WHERE leadId IN (${marks(ids.length)}) ORDER BY leadId, at, id`, ids,
    );
    const rows: unknown[][] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const next = events[i + 1];
      const leftAt = next && Number(next.leadId) === Number(e.leadId) ? Number(next.at) : null;
      rows.push([e.companyId, e.leadId, e.toNode, Number(e.at), leftAt, e.actorId ?? null, e.followupId ?? null, e.scriptId ?? null]);
    }
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      await em.query(
        `INSERT INTO journey_stay (companyId, leadId, node, enteredAt, leftAt, actorId, followupId, scriptId) VALUES ${chunk.map(() => `(${marks(8)})`).join(', ')}`,
        chunk.flat(),
      );
    }
    const byCompany = new Map<number, number[]>();
    for (const l of leads) byCompany.set(Number(l.companyId), [...(byCompany.get(Number(l.companyId)) ?? []), Number(l.id)]);
    for (const [companyId, leadIds] of byCompany) {
      if (!settings.has(companyId)) settings.set(companyId, await settingsOf(em, companyId));
      await refreshLeadFacts(em, companyId, leadIds, { settings: settings.get(companyId) });
    }
    done += leads.length;
  }
  const scripted: { companyId: number; authorId: number; createdAt: number }[] = await em.query(
    'SELECT companyId, authorId, createdAt FROM followup WHERE scriptId IS NOT NULL AND deletedAt IS NULL',
  );
  const counts = new Map<string, number>();
  for (const f of scripted) {
    const key = `${f.companyId}:${f.authorId}:${chinaDayOf(Number(f.createdAt))}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [key, n] of counts) {
    const [companyId, repId, day] = key.split(':').map(Number);
    await upsertRow(em, 'rep_day', ['companyId', 'repId', 'day'], { companyId, repId, day, scriptFollowups: n }, { add: ['scriptFollowups'] });
  }
  return done;
}
