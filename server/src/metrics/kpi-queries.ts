import type { EntityManager } from 'typeorm';
import {
  JOURNEY_NODES, KPI_WINDOWS, kpiMeanHours, kpiRatio, rangeDays, trendPeriod, trendPeriods, dayString,
  type KpiId, type KpiValue, type KpisResponse, type LeadHealthResponse, type TrendPoint,
} from '@lifeline/shared';
import type { Actor } from '../auth/actor';
import { factWhere, repCondition, type ResolvedScope } from './scope';
import { num, numOrNull } from './sql';

const HOUR = 3600_000;

/**
 * SQL for the matured rule (see maturedOutcome in shared): hit = touched within the window of start;
 * counted = hit, or the window has passed. `now` is bound as a parameter.
 */
export function maturedSql(start: string, touch: string, windowMs: number) {
  const hit = `(${touch} IS NOT NULL AND ${touch} >= ${start} AND ${touch} - ${start} <= ${windowMs})`;
  return {
    hit: `SUM(CASE WHEN ${hit} THEN 1 ELSE 0 END)`,
    counted: `SUM(CASE WHEN ${hit} OR ${start} + ${windowMs} <= ? THEN 1 ELSE 0 END)`,
  };
}

const W = {
  survival: KPI_WINDOWS.survivalHours * HOUR,
  first: KPI_WINDOWS.firstTouchHours * HOUR,
  followup: KPI_WINDOWS.followupHours * HOUR,
};
export const SURVIVAL = maturedSql('f.enteredAt', 'f.firstTouchAt', W.survival);
const FIRST_TOUCH = maturedSql('f.enteredAt', 'f.firstTouchAt', W.first);
export const FOLLOWUP_48H = maturedSql('COALESCE(f.assignedAt, f.enteredAt)', 'f.assignTouchAt', W.followup);
const FLOW_OK = 'f.assignedAt IS NOT NULL AND f.firstTouchAt IS NOT NULL AND f.firstTouchAt >= f.assignedAt';

/** Newest of several stamps (null when none). */
export const newest = (...xs: (number | null)[]) => xs.reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.max(a, b)), null);

/** All seven KPIs over the leads in scope (entered in range), plus entry rate over the reps' conversations. */
export async function computeKpis(em: EntityManager, actor: Actor, s: ResolvedScope, now: number): Promise<KpisResponse> {
  const w = factWhere(s, s.start, s.end);
  // The three reads are independent: on MySQL each takes its own pooled connection and they run side by side.
  const [[row], [profile], entry] = await Promise.all([em.query(
    `SELECT COUNT(*) AS leads,
            ${SURVIVAL.hit} AS s7hit, ${SURVIVAL.counted} AS s7n,
            ${FIRST_TOUCH.hit} AS f24hit, ${FIRST_TOUCH.counted} AS f24n,
            ${FOLLOWUP_48H.hit} AS f48hit, ${FOLLOWUP_48H.counted} AS f48n,
            SUM(CASE WHEN ${FLOW_OK} THEN f.firstTouchAt - f.assignedAt ELSE 0 END) AS flowMs,
            SUM(CASE WHEN ${FLOW_OK} THEN 1 ELSE 0 END) AS flowN,
            SUM(CASE WHEN f.signedAt IS NOT NULL AND f.demandMatch IS NOT NULL THEN 1 ELSE 0 END) AS signedN,
            SUM(CASE WHEN f.signedAt IS NOT NULL AND f.demandMatch = 1 THEN 1 ELSE 0 END) AS matchedN,
            MAX(f.updatedAt) AS updatedAt
       FROM lead_fact f WHERE ${w.sql}`,
    [now, now, now, ...w.params],
  ), em.query(
    `SELECT SUM(t.pf) AS filled, SUM(t.pr) AS required FROM
       (SELECT f.customerId, MAX(f.profileFilled) AS pf, MAX(f.profileRequired) AS pr FROM lead_fact f WHERE ${w.sql} GROUP BY f.customerId) t`,
    w.params,
  ), entryRate(em, actor.companyId, s)]);
  const t48 = actor.settings.followup48hThreshold;
  const kpis: Record<KpiId, KpiValue> = {
    survival7d: kpiRatio('survival7d', num(row.s7hit), num(row.s7n)),
    demandMatch: kpiRatio('demandMatch', num(row.matchedN), num(row.signedN)),
    flowHealthHours: kpiMeanHours('flowHealthHours', num(row.flowMs), num(row.flowN)),
    firstTouch24h: kpiRatio('firstTouch24h', num(row.f24hit), num(row.f24n)),
    followup48h: kpiRatio('followup48h', num(row.f48hit), num(row.f48n), t48),
    entryRate: kpiRatio('entryRate', entry.followed, entry.total),
    profileCompleteness: kpiRatio('profileCompleteness', num(profile?.filled), num(profile?.required)),
  };
  return {
    scope: s.scope, updatedAt: newest(numOrNull(row.updatedAt), entry.updatedAt), computedAt: now, kpis, leads: num(row.leads),
  };
}

/** Followed conversations / conversations of the reps in scope, on China-time days in range. */
export async function entryRate(em: EntityManager, companyId: number, s: ResolvedScope) {
  const reps = repCondition('repId', s.repIds);
  const [row] = await em.query(
    `SELECT SUM(conversations) AS total, SUM(followedConversations) AS followed, MAX(CASE WHEN conversations > 0 THEN updatedAt END) AS updatedAt
       FROM rep_day WHERE companyId = ? AND day >= ? AND day <= ? AND ${reps.sql}`,
    [companyId, s.fromDay, s.toDay, ...reps.params],
  );
  return { total: num(row?.total), followed: num(row?.followed), updatedAt: numOrNull(row?.updatedAt) };
}

/** Survival, loss and reach per node, A-level share, and a day (≤ 62 days) or ISO-week trend. */
export async function computeLeadHealth(em: EntityManager, actor: Actor, s: ResolvedScope, now: number): Promise<LeadHealthResponse> {
  const w = factWhere(s, s.start, s.end);
  const levelA = actor.settings.levelA;
  const nodeCols = JOURNEY_NODES.map((node, i) =>
    `SUM(CASE WHEN f.maxNodeIndex >= ${i} THEN 1 ELSE 0 END) AS reached${i}, SUM(CASE WHEN f.lostNode = ? THEN 1 ELSE 0 END) AS lost${i}`).join(', ');
  const [[row], days] = await Promise.all([em.query(
    `SELECT COUNT(*) AS leads, ${SURVIVAL.hit} AS s7hit, ${SURVIVAL.counted} AS s7n,
            SUM(CASE WHEN f.score >= ? THEN 1 ELSE 0 END) AS levelA, ${nodeCols}, MAX(f.updatedAt) AS updatedAt
       FROM lead_fact f WHERE ${w.sql}`,
    [now, levelA, ...JOURNEY_NODES, ...w.params],
  ), em.query(
    `SELECT f.enteredDay AS day, COUNT(*) AS leads, ${SURVIVAL.hit} AS s7hit, ${SURVIVAL.counted} AS s7n,
            SUM(CASE WHEN f.score >= ? THEN 1 ELSE 0 END) AS levelA
       FROM lead_fact f WHERE ${w.sql} GROUP BY f.enteredDay`,
    [now, levelA, ...w.params],
  ) as Promise<Record<string, unknown>[]>]);
  const length = rangeDays(s.scope.from, s.scope.to);
  const buckets = new Map(trendPeriods(s.scope.from, s.scope.to).map((p) => [p, { leads: 0, hit: 0, n: 0, a: 0 }]));
  for (const d of days) {
    const b = buckets.get(trendPeriod(dayString(Number(d.day)), length));
    if (!b) continue;
    b.leads += num(d.leads);
    b.hit += num(d.s7hit);
    b.n += num(d.s7n);
    b.a += num(d.levelA);
  }
  const trend: TrendPoint[] = [...buckets].map(([period, b]) => ({
    period, leads: b.leads, survival7d: b.n ? b.hit / b.n : null, highIntentShare: b.leads ? b.a / b.leads : null,
  }));
  const leads = num(row.leads);
  return {
    scope: s.scope,
    updatedAt: numOrNull(row.updatedAt),
    computedAt: now,
    leads,
    survival7d: kpiRatio('survival7d', num(row.s7hit), num(row.s7n)),
    highIntent: { count: num(row.levelA), share: leads ? num(row.levelA) / leads : null, levelA },
    nodes: JOURNEY_NODES.map((node, i) => ({ node, reached: num(row[`reached${i}`]), lost: num(row[`lost${i}`]) })),
    trend,
  };
}
