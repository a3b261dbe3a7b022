import type { EntityManager } from 'typeorm';
import { JOURNEY_NODES, chinaDayOf, demandMatchOf, journeyIndex, profileFilled } from '@lifeline/shared';
import { effectiveSettings, type CompanySettings } from '../companies/settings';
import { marks, num, numOrNull, upsertRows } from './sql';

const TRIAL_INDEX = journeyIndex('试听体验');

/** The company's effective settings, read in the caller's transaction. */
export async function settingsOf(em: EntityManager, companyId: number): Promise<CompanySettings> {
  const [row] = await em.query('SELECT settings FROM company WHERE id = ?', [companyId]);
  return effectiveSettings(row?.settings ? JSON.parse(row.settings) : {});
}

/** What a fact is computed from: the lead, its customer's profile, its follow-up times and its journey stays. */
export interface FactSource {
  lead: Record<string, unknown>;
  customer: (Record<string, unknown> & { concerns: string[] }) | undefined;
  touches: number[];
  stays: { node: string; enteredAt: number; leftAt: number | null }[];
}

/**
 * Recomputes the lead_fact rows of some leads from their source rows (lead, customer, follow-ups, stays)
 * and writes them. Used by the event subscriber (a few leads, in the change's transaction) and by the
 * migration backfill (batches): one definition of what a fact is. `at` stamps updatedAt (default: lead.updatedAt).
 * `known` holds sources the caller already has in memory (a lead created in this transaction): not re-read.
 */
export async function refreshLeadFacts(
  em: EntityManager,
  companyId: number,
  leadIds: number[],
  opts: { at?: number; settings?: CompanySettings; known?: Map<number, FactSource> } = {},
): Promise<void> {
  const ids = [...new Set(leadIds)];
  if (!ids.length) return;
  const settings = opts.settings ?? (await settingsOf(em, companyId));
  const sources = ids.flatMap((id) => opts.known?.get(id) ?? []);
  const unknown = ids.filter((id) => !opts.known?.has(id));
  if (unknown.length) sources.push(...(await loadSources(em, companyId, unknown)));
  await upsertRows(em, 'lead_fact', ['leadId'], sources.map((src) => factRow(companyId, src, settings, opts.at)));
}

/** Two reads whatever the number of leads (they run in the hot path of every save). */
async function loadSources(em: EntityManager, companyId: number, ids: number[]): Promise<FactSource[]> {
  const leads: Record<string, unknown>[] = await em.query(
    `SELECT l.id, l.customerId, l.ownerId, l.orgUnitId, l.channel, l.status, l.journeyNode, l.score, l.createdAt, l.assignedAt,
            l.nextStepDueAt, l.signedAt, l.signedCourse, l.deletedAt, l.updatedAt,
            c.id AS cId, c.name AS cName, c.province AS cProvince, c.city AS cCity, c.grade AS cGrade, c.concerns AS cConcerns, c.tags AS cTags
       FROM \`lead\` l LEFT JOIN customer c ON c.id = l.customerId AND c.companyId = l.companyId
      WHERE l.companyId = ? AND l.id IN (${marks(ids.length)})`,
    [companyId, ...ids],
  );
  if (!leads.length) return [];
  const events: { kind: string; leadId: number; node: string | null; enteredAt: number; leftAt: number | null }[] = await em.query(
    `SELECT 'f' AS kind, leadId, NULL AS node, createdAt AS enteredAt, NULL AS leftAt
       FROM followup WHERE companyId = ? AND leadId IN (${marks(ids.length)}) AND deletedAt IS NULL
     UNION ALL
     SELECT 's' AS kind, leadId, node, enteredAt, leftAt FROM journey_stay WHERE companyId = ? AND leadId IN (${marks(ids.length)})`,
    [companyId, ...ids, companyId, ...ids],
  );
  const byLead = new Map<number, FactSource>(leads.map((l) => [Number(l.id), {
    lead: l,
    customer: l.cId === null || l.cId === undefined ? undefined : {
      name: l.cName, province: l.cProvince, city: l.cCity, grade: l.cGrade,
      tags: JSON.parse(String(l.cTags ?? '[]')) as string[], concerns: JSON.parse(String(l.cConcerns ?? '[]')) as string[],
    },
    touches: [],
    stays: [],
  }]));
  for (const e of events) {
    const src = byLead.get(Number(e.leadId));
    if (!src) continue;
    if (e.kind === 'f') src.touches.push(Number(e.enteredAt));
    else src.stays.push({ node: String(e.node), enteredAt: Number(e.enteredAt), leftAt: numOrNull(e.leftAt) });
  }
  return [...byLead.values()];
}

/** The fact row of one lead: pure, so the in-memory and the read paths agree by construction. */
function factRow(companyId: number, src: FactSource, settings: CompanySettings, at: number | undefined): Record<string, unknown> {
  const { lead: l, customer } = src;
  const id = Number(l.id);
  const enteredAt = Number(l.createdAt);
  const assignedAt = numOrNull(l.assignedAt);
  const touches = [...src.touches].sort((a, b) => a - b);
  const since = assignedAt ?? enteredAt;
  const profile = profileFilled(customer ?? {}, settings.requiredProfileFields);
  const ms = Array(JOURNEY_NODES.length).fill(0) as number[];
  const n = Array(JOURNEY_NODES.length).fill(0) as number[];
  let maxNode = 0;
  let trialAt: number | null = null;
  let nodeEnteredAt: number | null = null;
  for (const s of src.stays) {
    const i = journeyIndex(s.node);
    const entered = Number(s.enteredAt);
    if (i < 0) continue;
    maxNode = Math.max(maxNode, i);
    if (i >= TRIAL_INDEX && (trialAt === null || entered < trialAt)) trialAt = entered;
    if (s.leftAt === null || s.leftAt === undefined) nodeEnteredAt = entered;
    else {
      ms[i] += Number(s.leftAt) - entered;
      n[i] += 1;
    }
  }
  const status = String(l.status);
  const signedCourse = (l.signedCourse as string | null) ?? null;
  return {
    companyId,
    enteredAt,
    leadId: id,
    enteredDay: chinaDayOf(enteredAt),
    customerId: Number(l.customerId),
    ownerId: numOrNull(l.ownerId),
    orgUnitId: numOrNull(l.orgUnitId),
    channel: l.channel,
    city: (customer?.city as string | null) ?? null,
    grade: (customer?.grade as string | null) ?? null,
    status,
    journeyNode: l.journeyNode,
    nodeEnteredAt,
    maxNodeIndex: maxNode,
    lostNode: status === 'lost' ? l.journeyNode : null,
    score: num(l.score),
    assignedAt,
    firstTouchAt: touches[0] ?? null,
    assignTouchAt: touches.find((t) => t >= since) ?? null,
    nextStepDueAt: numOrNull(l.nextStepDueAt),
    trialAt,
    signedAt: numOrNull(l.signedAt),
    signedCourse,
    demandMatch: numOrNull(l.signedAt) === null ? null : demandMatchOf(signedCourse, customer?.concerns ?? [], settings.courses),
    profileFilled: profile.filled,
    profileRequired: profile.required,
    ...Object.fromEntries(ms.map((v, i) => [`stayMs${i}`, v])),
    ...Object.fromEntries(n.map((v, i) => [`stays${i}`, v])),
    deletedAt: numOrNull(l.deletedAt),
    updatedAt: at ?? Number(l.updatedAt),
  };
}
