import type { EntityManager } from 'typeorm';
import { JOURNEY_NODES, type RepStageTimes, type SigningDays, type StageCallout, type TeamInsightsResponse } from '@lifeline/shared';
import { factWhere, type ResolvedScope } from './scope';
import { num, numOrNull } from './sql';
import { newest } from './kpi-queries';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** A callout needs this many of the rep's stays in the node, and the team's, so one odd lead is not a pattern. */
const MIN_REP_STAYS = 3;
const MIN_TEAM_STAYS = 5;
/** Differences smaller than half a day are noise for a supervisor. */
const MIN_DIFF_DAYS = 0.5;

/**
 * Per rep, mean hours in each journey node over the completed stays of the leads they own now (a lead handed over
 * takes its history with it), against the team's mean over the same leads; and mean days from enquiry to signing by
 * city and by centre. Entries in the scope's date range, scope rules as every dashboard.
 */
export async function computeTeamInsights(em: EntityManager, s: ResolvedScope, now: number): Promise<TeamInsightsResponse> {
  const w = factWhere(s, s.start, s.end);
  const sums = JOURNEY_NODES.map((_, i) => `SUM(f.stayMs${i}) AS ms${i}, SUM(f.stays${i}) AS n${i}`).join(', ');
  const [byRep, signedByCity, signedByUnit, units] = await Promise.all([
    em.query(
      `SELECT f.ownerId AS repId, u.name AS name, ${sums}, MAX(f.updatedAt) AS updatedAt FROM lead_fact f JOIN app_user u ON u.id = f.ownerId
        WHERE ${w.sql} AND f.ownerId IS NOT NULL GROUP BY f.ownerId, u.name`,
      w.params,
    ) as Promise<Record<string, unknown>[]>,
    signingDaysBy(em, w, 'f.city'),
    signingDaysBy(em, w, 'f.orgUnitId'),
    em.query('SELECT id, name, kind, parentId FROM org_unit WHERE companyId = ?', [s.companyId]) as Promise<Record<string, unknown>[]>,
  ]);
  const reps: RepStageTimes[] = byRep.map((r) => ({
    repId: Number(r.repId),
    name: String(r.name),
    hours: JOURNEY_NODES.map((_, i) => (num(r[`n${i}`]) ? num(r[`ms${i}`]) / num(r[`n${i}`]) / HOUR : null)),
    stays: JOURNEY_NODES.map((_, i) => num(r[`n${i}`])),
  }));
  reps.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  const teamStays = JOURNEY_NODES.map((_, i) => byRep.reduce((a, r) => a + num(r[`n${i}`]), 0));
  const teamHours = JOURNEY_NODES.map((_, i) => (teamStays[i] ? byRep.reduce((a, r) => a + num(r[`ms${i}`]), 0) / teamStays[i] / HOUR : null));
  let updatedAt: number | null = null;
  for (const r of byRep) updatedAt = newest(updatedAt, numOrNull(r.updatedAt));
  return {
    scope: s.scope,
    updatedAt,
    computedAt: now,
    nodes: [...JOURNEY_NODES],
    teamHours,
    teamStays,
    reps,
    callouts: calloutsOf(reps, teamHours, teamStays),
    signingDays: { byCity: labelled(signedByCity, (v) => (v ? String(v) : '未填写')), byCentre: byCentre(signedByUnit, units) },
  };
}

function calloutsOf(reps: RepStageTimes[], teamHours: (number | null)[], teamStays: number[]): StageCallout[] {
  const out: StageCallout[] = [];
  for (const r of reps) {
    JOURNEY_NODES.forEach((node, i) => {
      const mine = r.hours[i];
      const team = teamHours[i];
      if (mine === null || team === null || r.stays[i] < MIN_REP_STAYS || teamStays[i] < MIN_TEAM_STAYS) return;
      const diffDays = (mine - team) / 24;
      if (Math.abs(diffDays) < MIN_DIFF_DAYS) return;
      const text = `${r.name}在${node}环节平均比团队${diffDays > 0 ? '慢' : '快'}${Math.abs(diffDays).toFixed(1)}天`;
      out.push({ repId: r.repId, name: r.name, node, diffDays: Math.round(diffDays * 10) / 10, text });
    });
  }
  // Slowest first: what a supervisor coaches on.
  return out.sort((a, b) => b.diffDays - a.diffDays).slice(0, 8);
}

type Grouped = { v: unknown; n: number; ms: number }[];

async function signingDaysBy(em: EntityManager, w: { sql: string; params: unknown[] }, column: string): Promise<Grouped> {
  const rows: Record<string, unknown>[] = await em.query(
    `SELECT ${column} AS v, COUNT(*) AS n, SUM(f.signedAt - f.enteredAt) AS ms FROM lead_fact f WHERE ${w.sql} AND f.signedAt IS NOT NULL GROUP BY ${column}`,
    w.params,
  );
  return rows.map((r) => ({ v: r.v, n: num(r.n), ms: num(r.ms) }));
}

function labelled(rows: Grouped, label: (v: unknown) => string): SigningDays[] {
  const merged = new Map<string, { n: number; ms: number }>();
  for (const r of rows) {
    const key = label(r.v);
    const m = merged.get(key) ?? { n: 0, ms: 0 };
    merged.set(key, { n: m.n + r.n, ms: m.ms + r.ms });
  }
  return [...merged.entries()]
    .map(([value, m]) => ({ value, signed: m.n, days: Math.round((m.ms / m.n / DAY) * 10) / 10 }))
    .sort((a, b) => b.signed - a.signed || a.value.localeCompare(b.value, 'zh-CN'));
}

/** A lead's unit is a team (or a centre): its 中心 is the nearest centre up the tree. */
function byCentre(rows: Grouped, units: Record<string, unknown>[]): SigningDays[] {
  const byId = new Map(units.map((u) => [Number(u.id), u]));
  const centreOf = (id: unknown): string => {
    let u = id === null ? undefined : byId.get(Number(id));
    for (let hops = 0; u && hops < 20; hops++) {
      if (u.kind === 'centre') return String(u.name);
      u = u.parentId === null ? undefined : byId.get(Number(u.parentId));
    }
    return '未分配';
  };
  return labelled(rows, centreOf);
}
