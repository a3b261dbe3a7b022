import type { EntityManager } from 'typeorm';
import { JOURNEY_NODES, KPI_WINDOWS, OPEN_LEAD_STATUSES, chinaDayOf, demandMatchOf, journeyIndex, pendingUntil, profileFilled } from '@lifeline/shared';
import { effectiveSettings, type CompanySettings } from '../companies/settings';
import { applyRollupDeltas, rollupDeltas } from './rollup';
import { insertRows, marks, num, numOrNull, upsertRows } from './sql';
import { forUpdate } from '../db/kind';

const TRIAL_INDEX = journeyIndex('试听体验');
const HOUR = 3600_000;
const WINDOW = { s7: KPI_WINDOWS.survivalHours * HOUR, f24: KPI_WINDOWS.firstTouchHours * HOUR, f48: KPI_WINDOWS.followupHours * HOUR };

/** The company's effective settings, read in the caller's transaction. */
export async function settingsOf(em: EntityManager, companyId: number): Promise<CompanySettings> {
  const [row] = await em.query('SELECT settings FROM company WHERE id = ?', [companyId]);
  return effectiveSettings(row?.settings ? JSON.parse(row.settings) : {});
}

/** What a fact is computed from: the lead, its customer's profile, its follow-up times and its journey stays. */
interface FactSource {
  lead: Record<string, unknown>;
  customer: (Record<string, unknown> & { concerns: string[] }) | undefined;
  /** Follow-up times: at least the first one and the first since assignment (all of them will do too). */
  touches: number[];
  stays: { node: string; enteredAt: number; leftAt: number | null }[];
  /** No newer live lead of the same customer: the customer's profile is counted at this lead. */
  primary: boolean;
  /** The lead's fact as stored before this change (null for a new lead). */
  before: Record<string, unknown> | null;
}

/**
 * Recomputes the lead_fact rows of some leads from their source rows (lead, customer, follow-ups, stays), writes
 * them and moves the rollups by the difference. Runs in the projector's transaction:
 * one definition of what a fact is. `at` stamps updatedAt (default: lead.updatedAt). `afterLock` is where race
 * tests hold the projection (the facts are locked, nothing is written yet).
 */
export async function refreshLeadFacts(
  em: EntityManager,
  companyId: number,
  leadIds: number[],
  opts: { at?: number; settings?: CompanySettings; afterLock?: () => Promise<void> } = {},
): Promise<void> {
  const ids = [...new Set(leadIds)].sort((a, b) => a - b);
  if (!ids.length) return;
  const settings = opts.settings ?? (await settingsOf(em, companyId));
  const sources = await loadSources(em, companyId, ids);
  await opts.afterLock?.();
  const rows = sources.map((src) => factRow(companyId, src, settings, opts.at));
  // Stored facts that changed are rewritten together (they are locked: the upsert only ever updates); new facts are
  // inserted together by a plain INSERT: a second projector racing for the same new lead fails on the key, rolls
  // back its rollup deltas with it, and retries against the fact the first one stored.
  const changed = rows.filter((row, i) => sources[i].before !== null && differs(sources[i].before!, row));
  await upsertRows(em, 'lead_fact', ['leadId'], changed);
  await insertRows(
    em,
    'lead_fact',
    rows.filter((_, i) => sources[i].before === null),
  );
  const at = rows.reduce((a, r) => Math.max(a, Number(r.updatedAt)), 0);
  await applyRollupDeltas(
    em,
    rollupDeltas(
      companyId,
      sources.map((src, i) => ({ before: src.before, after: rows[i] })),
      settings.levelA,
      at,
    ),
  );
}

const sameValue = (a: unknown, b: unknown) => a === b || (a !== null && b !== null && a !== undefined && b !== undefined && String(a) === String(b));

const differs = (before: Record<string, unknown>, row: Record<string, unknown>) => Object.keys(row).some((c) => !sameValue(before[c], row[c]));

/**
 * The leads' facts as stored, locked until commit (MySQL), read first: two projections of the same lead apply their
 * rollup deltas one after the other, each against the fact the other left, and (READ COMMITTED) every read after
 * the lock sees what the other committed. By the unique leadId alone: record locks on existing rows only.
 */
function lockFactsQuery(em: EntityManager, ids: number[]) {
  return {
    sql: `SELECT * FROM lead_fact WHERE leadId IN (${marks(ids.length)})${forUpdate(em)}`,
    params: ids,
  };
}

/** Three reads whatever the number of leads: the locked facts, then the leads with their customers, then follow-ups and stays. */
async function loadSources(em: EntityManager, companyId: number, ids: number[]): Promise<FactSource[]> {
  const reads = [
    lockFactsQuery(em, ids),
    {
      sql: `SELECT l.id, l.customerId, l.ownerId, l.orgUnitId, l.channel, l.status, l.journeyNode, l.score, l.createdAt, l.assignedAt,
            l.nextStepDueAt, l.signedAt, l.signedCourse, l.deletedAt, l.updatedAt,
            c.id AS cId, c.name AS cName, c.province AS cProvince, c.city AS cCity, c.grade AS cGrade, c.concerns AS cConcerns, c.tags AS cTags,
            CASE WHEN EXISTS (SELECT 1 FROM \`lead\` n WHERE n.companyId = l.companyId AND n.customerId = l.customerId AND n.deletedAt IS NULL
              AND n.id <> l.id AND (n.createdAt > l.createdAt OR (n.createdAt = l.createdAt AND n.id > l.id))) THEN 0 ELSE 1 END AS isPrimary
       FROM \`lead\` l LEFT JOIN customer c ON c.id = l.customerId AND c.companyId = l.companyId
      WHERE l.companyId = ? AND l.id IN (${marks(ids.length)})`,
      params: [companyId, ...ids],
    },
    {
      // Of the follow-ups, a fact needs only the first and the first since assignment (see factRow): two rows per
      // lead, however many follow-ups it has.
      sql: `SELECT 'f' AS kind, leadId, NULL AS node, MIN(createdAt) AS enteredAt, NULL AS leftAt
       FROM followup WHERE companyId = ? AND leadId IN (${marks(ids.length)}) AND deletedAt IS NULL GROUP BY leadId
     UNION ALL
     SELECT 'f' AS kind, f.leadId, NULL AS node, MIN(f.createdAt) AS enteredAt, NULL AS leftAt
       FROM followup f JOIN \`lead\` l ON l.id = f.leadId
      WHERE f.companyId = ? AND f.leadId IN (${marks(ids.length)}) AND f.deletedAt IS NULL AND f.createdAt >= COALESCE(l.assignedAt, l.createdAt)
      GROUP BY f.leadId
     UNION ALL
     SELECT 's' AS kind, leadId, node, enteredAt, leftAt FROM journey_stay WHERE companyId = ? AND leadId IN (${marks(ids.length)})`,
      params: [companyId, ...ids, companyId, ...ids, companyId, ...ids],
    },
  ];
  // One after the other, the lock first: the source reads run once the facts are ours.
  const results: Record<string, unknown>[][] = [];
  for (const r of reads) results.push(await em.query(r.sql, r.params));
  const [locked, leads, events] = results;
  const before = new Map(locked.filter((r) => Number(r.companyId) === companyId).map((r) => [Number(r.leadId), r]));
  if (!leads.length) return [];
  const byLead = new Map<number, FactSource>(
    leads.map((l) => [
      Number(l.id),
      {
        lead: l,
        customer:
          l.cId === null || l.cId === undefined
            ? undefined
            : {
                name: l.cName,
                province: l.cProvince,
                city: l.cCity,
                grade: l.cGrade,
                tags: JSON.parse(String(l.cTags ?? '[]')) as string[],
                concerns: JSON.parse(String(l.cConcerns ?? '[]')) as string[],
              },
        touches: [],
        stays: [],
        primary: Number(l.isPrimary) === 1,
        before: before.get(Number(l.id)) ?? null,
      },
    ]),
  );
  for (const e of events) {
    const src = byLead.get(Number(e.leadId));
    if (!src) continue;
    if (e.kind === 'f') src.touches.push(Number(e.enteredAt));
    else src.stays.push({ node: String(e.node), enteredAt: Number(e.enteredAt), leftAt: numOrNull(e.leftAt) });
  }
  return [...byLead.values()];
}

/**
 * When an open lead turns overdue on the battle map (never followed up 48 h after assignment, or its next step is
 * past), or null (not open, or nothing can make it overdue). Overdue at `now` exactly when this is ≤ now.
 */
function overdueFrom(status: string, since: number, assignTouchAt: number | null, nextStepDueAt: number | null): number | null {
  if (!(OPEN_LEAD_STATUSES as readonly string[]).includes(status)) return null;
  const xs = [assignTouchAt === null ? since + WINDOW.f48 : null, nextStepDueAt === null ? null : nextStepDueAt + 1].filter((x): x is number => x !== null);
  return xs.length ? Math.min(...xs) : null;
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
  const firstTouchAt = touches[0] ?? null;
  const assignTouchAt = touches.find((t) => t >= since) ?? null;
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
    firstTouchAt,
    assignTouchAt,
    nextStepDueAt: numOrNull(l.nextStepDueAt),
    trialAt,
    signedAt: numOrNull(l.signedAt),
    signedCourse,
    demandMatch: numOrNull(l.signedAt) === null ? null : demandMatchOf(signedCourse, customer?.concerns ?? [], settings.courses),
    profileFilled: profile.filled,
    profileRequired: profile.required,
    profilePrimary: src.primary ? 1 : 0,
    s7PendingUntil: pendingUntil(enteredAt, firstTouchAt, WINDOW.s7),
    f24PendingUntil: pendingUntil(enteredAt, firstTouchAt, WINDOW.f24),
    f48PendingUntil: pendingUntil(since, assignTouchAt, WINDOW.f48),
    overdueFrom: overdueFrom(status, since, assignTouchAt, numOrNull(l.nextStepDueAt)),
    ...Object.fromEntries(ms.map((v, i) => [`stayMs${i}`, v])),
    ...Object.fromEntries(n.map((v, i) => [`stays${i}`, v])),
    deletedAt: numOrNull(l.deletedAt),
    updatedAt: at ?? Number(l.updatedAt),
  };
}
