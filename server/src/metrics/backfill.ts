import type { EntityManager } from 'typeorm';
import { KPI_WINDOWS, OPEN_LEAD_STATUSES, chinaDayOf } from '@lifeline/shared';
import type { CompanySettings } from '../companies/settings';
import { refreshLeadFacts, settingsOf } from './facts';
import { rebuildAllRollups } from './rollup';
import { marks, upsertRow } from './sql';
import { dbKindOf } from '../db/kind';

const HOUR = 3600_000;

/**
 * Builds the metrics rows for data that predates them (run by the metrics migration): each lead's signing
 * time, its journey stays from the journey events, and the per-rep script counters. The facts come with the
 * rollup migration (backfillFacts), whose columns they need. Batches by lead id, so a million leads never sit
 * in memory at once.
 */
export async function backfillMetrics(em: EntityManager, batch = 1000): Promise<number> {
  await em.query(
    `UPDATE \`lead\` SET signedAt = (SELECT MIN(f.createdAt) FROM followup f
       WHERE f.leadId = \`lead\`.id AND f.action = '已签约' AND f.deletedAt IS NULL) WHERE signedAt IS NULL`,
  );
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

/**
 * Run by the rollup migration: fills the newer fact columns of existing facts in SQL (the same rules as factRow),
 * computes the facts of leads that have none yet (data from before the metrics), then builds every company's rollup.
 */
export async function backfillFacts(em: EntityManager, batch = 1000): Promise<void> {
  const windowSql = (start: string, touch: string, hours: number) =>
    `CASE WHEN ${touch} IS NOT NULL AND ${touch} >= ${start} AND ${touch} - ${start} <= ${hours * HOUR} THEN NULL ELSE ${start} + ${hours * HOUR} END`;
  await em.query(
    `UPDATE lead_fact SET s7PendingUntil = ${windowSql('enteredAt', 'firstTouchAt', KPI_WINDOWS.survivalHours)},
            f24PendingUntil = ${windowSql('enteredAt', 'firstTouchAt', KPI_WINDOWS.firstTouchHours)},
            f48PendingUntil = ${windowSql('COALESCE(assignedAt, enteredAt)', 'assignTouchAt', KPI_WINDOWS.followupHours)},
            profilePrimary = 1`,
  );
  // overdueFrom (facts.ts): the earlier of "48 h after assignment, never followed up" and "just after the next step".
  const untouched = `CASE WHEN assignTouchAt IS NULL THEN COALESCE(assignedAt, enteredAt) + ${KPI_WINDOWS.followupHours * HOUR} END`;
  const step = 'nextStepDueAt + 1';
  await em.query(
    `UPDATE lead_fact SET overdueFrom = CASE WHEN status NOT IN (${OPEN_LEAD_STATUSES.map((x) => `'${x}'`).join(', ')}) THEN NULL
       WHEN ${untouched} IS NULL THEN ${step} WHEN nextStepDueAt IS NULL THEN ${untouched}
       WHEN ${untouched} < ${step} THEN ${untouched} ELSE ${step} END`,
  );
  // A fact is not primary when its customer has a newer live lead (later entry, or same time and higher id).
  const newer = 'g.companyId = f.companyId AND g.customerId = f.customerId AND g.deletedAt IS NULL AND g.leadId <> f.leadId AND (g.enteredAt > f.enteredAt OR (g.enteredAt = f.enteredAt AND g.leadId > f.leadId))';
  if (dbKindOf(em) === 'mysql') await em.query(`UPDATE lead_fact f JOIN lead_fact g ON ${newer} SET f.profilePrimary = 0`);
  else await em.query(`UPDATE lead_fact AS f SET profilePrimary = 0 WHERE EXISTS (SELECT 1 FROM lead_fact g WHERE ${newer})`);

  const settings = new Map<number, CompanySettings>();
  const settingsFor = async (companyId: number) => {
    if (!settings.has(companyId)) settings.set(companyId, await settingsOf(em, companyId));
    return settings.get(companyId)!;
  };
  let after = 0;
  for (;;) {
    const leads: { id: number; companyId: number }[] = await em.query(
      `SELECT l.id, l.companyId FROM \`lead\` l LEFT JOIN lead_fact f ON f.leadId = l.id WHERE l.id > ? AND f.leadId IS NULL ORDER BY l.id LIMIT ${batch}`, [after],
    );
    if (!leads.length) break;
    after = Number(leads[leads.length - 1].id);
    const byCompany = new Map<number, number[]>();
    for (const l of leads) byCompany.set(Number(l.companyId), [...(byCompany.get(Number(l.companyId)) ?? []), Number(l.id)]);
    for (const [companyId, leadIds] of byCompany) await refreshLeadFacts(em, companyId, leadIds, { settings: await settingsFor(companyId) });
  }
  await rebuildAllRollups(em, async (companyId) => (await settingsFor(companyId)).levelA);
}
