import type { EntityManager } from 'typeorm';
import {
  JOURNEY_NODES,
  kpiMeanHours,
  kpiRatio,
  rangeDays,
  trendPeriod,
  trendPeriods,
  dayString,
  type KpiId,
  type KpiValue,
  type KpisResponse,
  type LeadHealthResponse,
  type TrendPoint,
} from '@lifeline/shared';
import type { Actor } from '../auth/actor';
import { repCondition, type ResolvedScope } from './scope';
import { pendingCounts, pendingTotal, sourceFor, type Window } from './source';
import { num, numOrNull } from './sql';

/** Newest of several stamps (null when none). */
export const newest = (...xs: (number | null)[]) => xs.reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.max(a, b)), null);

/** All seven KPIs over the leads in scope (entered in range), plus entry rate over the reps' conversations. */
export async function computeKpis(em: EntityManager, actor: Actor, s: ResolvedScope, now: number): Promise<KpisResponse> {
  const src = sourceFor(s, actor.settings.levelA, s);
  const sums = ['leads', 's7hit', 'f24hit', 'f48hit', 'flowMs', 'flowN', 'signedDM', 'matched', 'pf', 'pr'];
  // Independent reads: on MySQL each takes its own pooled connection and they run side by side.
  const [[row], pending, entry] = await Promise.all([
    em.query(`SELECT ${sums.map((m) => `${src.sum(m)} AS ${m}`).join(', ')}, MAX(f.updatedAt) AS updatedAt FROM ${src.from}`, src.params),
    pendingCounts(em, s, s, ['s7', 'f24', 'f48'], now),
    entryRate(em, actor.companyId, s),
  ]);
  const leads = num(row?.leads);
  const counted = (k: Window) => leads - pendingTotal(pending, k);
  const t48 = actor.settings.followup48hThreshold;
  const kpis: Record<KpiId, KpiValue> = {
    survival7d: kpiRatio('survival7d', num(row.s7hit), counted('s7')),
    demandMatch: kpiRatio('demandMatch', num(row.matched), num(row.signedDM)),
    flowHealthHours: kpiMeanHours('flowHealthHours', num(row.flowMs), num(row.flowN)),
    firstTouch24h: kpiRatio('firstTouch24h', num(row.f24hit), counted('f24')),
    followup48h: kpiRatio('followup48h', num(row.f48hit), counted('f48'), t48),
    entryRate: kpiRatio('entryRate', entry.followed, entry.total),
    profileCompleteness: kpiRatio('profileCompleteness', num(row.pf), num(row.pr)),
  };
  return {
    scope: s.scope,
    updatedAt: newest(numOrNull(row.updatedAt), entry.updatedAt),
    computedAt: now,
    kpis,
    leads,
  };
}

/** Followed conversations / conversations of the reps in scope, on China-time days in range. */
async function entryRate(em: EntityManager, companyId: number, s: ResolvedScope) {
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
  const levelA = actor.settings.levelA;
  const src = sourceFor(s, levelA, s);
  const nodeCols = JOURNEY_NODES.map((_, i) => `${src.sum(`reached${i}`)} AS reached${i}, ${src.sum(`lost${i}`)} AS lost${i}`).join(', ');
  const daily = ['leads', 's7hit', 'levelA'].map((m) => `${src.sum(m)} AS ${m}`).join(', ');
  const [[row], days, pending] = await Promise.all([
    em.query(`SELECT ${daily}, ${nodeCols}, MAX(f.updatedAt) AS updatedAt FROM ${src.from}`, src.params),
    em.query(`SELECT ${src.day} AS day, ${daily} FROM ${src.from} GROUP BY ${src.day}`, src.params) as Promise<Record<string, unknown>[]>,
    pendingCounts(em, s, s, ['s7'], now, { groupBy: 'day' }),
  ]);
  const pendingByDay = pending.get('s7')!;
  const length = rangeDays(s.scope.from, s.scope.to);
  const buckets = new Map(trendPeriods(s.scope.from, s.scope.to).map((p) => [p, { leads: 0, hit: 0, n: 0, a: 0 }]));
  for (const d of days) {
    const b = buckets.get(trendPeriod(dayString(Number(d.day)), length));
    if (!b) continue;
    b.leads += num(d.leads);
    b.hit += num(d.s7hit);
    b.n += num(d.leads) - (pendingByDay.get(String(Number(d.day))) ?? 0);
    b.a += num(d.levelA);
  }
  const trend: TrendPoint[] = [...buckets].map(([period, b]) => ({
    period,
    leads: b.leads,
    survival7d: b.n ? b.hit / b.n : null,
    highIntentShare: b.leads ? b.a / b.leads : null,
  }));
  const leads = num(row?.leads);
  return {
    scope: s.scope,
    updatedAt: numOrNull(row?.updatedAt),
    computedAt: now,
    leads,
    survival7d: kpiRatio('survival7d', num(row?.s7hit), leads - pendingTotal(pending, 's7')),
    highIntent: { count: num(row?.levelA), share: leads ? num(row?.levelA) / leads : null, levelA },
    nodes: JOURNEY_NODES.map((node, i) => ({ node, reached: num(row?.[`reached${i}`]), lost: num(row?.[`lost${i}`]) })),
    trend,
  };
}
