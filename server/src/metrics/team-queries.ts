import type { EntityManager } from 'typeorm';
import {
  OPEN_LEAD_STATUSES,
  chinaRange,
  kpiRatio,
  monthsCovering,
  type ChannelRoiResponse,
  type ChannelRow,
  type RepBattleResponse,
  type RepRow,
} from '@lifeline/shared';
import type { Actor } from '../auth/actor';
import { newest } from './kpi-queries';
import { factWhere, repCondition, type ResolvedScope } from './scope';
import { attributesOf, pendingCounts, rollupsEnabled, sourceFor } from './source';
import { marks, num, numOrNull } from './sql';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Per rep in scope: backlog, overdue, 48 h follow-up rate (red below the company threshold), trial conversion, scripts used. */
export async function computeRepBattle(em: EntityManager, actor: Actor, s: ResolvedScope, now: number): Promise<RepBattleResponse> {
  const threshold = actor.settings.followup48hThreshold;
  const reps = repCondition('u.id', s.repIds);
  const users: { id: number; name: string; unitName: string | null; active: unknown }[] = await em.query(
    `SELECT u.id, u.name, u.active, o.name AS unitName FROM app_user u LEFT JOIN org_unit o ON o.id = u.orgUnitId
      WHERE u.companyId = ? AND u.role = 'rep' AND u.deletedAt IS NULL AND ${reps.sql} ORDER BY u.id`,
    [actor.companyId, ...reps.params],
  );
  const ids = users.map((u) => Number(u.id));
  const rows = new Map<number, RepRow>();
  for (const u of users) {
    rows.set(Number(u.id), {
      repId: Number(u.id),
      name: u.name,
      unitName: u.unitName ?? null,
      backlog: 0,
      overdue: 0,
      followup48h: kpiRatio('followup48h', 0, 0, threshold),
      trialConversion: { value: null, trials: 0, signed: 0 },
      scriptsUsed: 0,
      coOwned: 0,
    });
  }
  let updatedAt: number | null = null;
  const busy = new Set<number>(); // reps with any lead, backlog or script use in view
  if (ids.length) {
    const owners = `f.ownerId IN (${marks(ids.length)})`;
    const extra = { sql: owners, params: ids };
    const src = sourceFor(s, actor.settings.levelA, s, { extra });
    // Five independent reads, side by side on MySQL's pool.
    const [inRange, pending, open, overdue, scripted, picks] = await Promise.all([
      em.query(
        `SELECT f.ownerId AS repId, ${src.sum('leads')} AS leads, ${src.sum('f48hit')} AS hit, ${src.sum('trials')} AS trials,
              ${src.sum('trialSigned')} AS signed, MAX(f.updatedAt) AS updatedAt
         FROM ${src.from} GROUP BY f.ownerId HAVING ${src.sum('leads')} > 0`,
        src.params,
      ) as Promise<Record<string, unknown>[]>,
      pendingCounts(em, s, s, ['f48'], now, { groupBy: 'owner', extra }),
      // Backlog is the rep's open work now, whenever it entered: the date range does not apply.
      backlogs(em, s, extra),
      // Overdue: open leads whose overdue time has come, found by index (few, unless the team is far behind).
      em.query(
        `SELECT f.ownerId AS repId, COUNT(*) AS n FROM lead_fact f WHERE f.overdueFrom <= ? AND ${s.where.join(' AND ')} AND ${owners} GROUP BY f.ownerId`,
        [now, ...s.params, ...ids],
      ) as Promise<Record<string, unknown>[]>,
      em.query(
        `SELECT repId, SUM(scriptFollowups) AS n FROM rep_day WHERE companyId = ? AND day >= ? AND day <= ? AND repId IN (${marks(ids.length)}) GROUP BY repId`,
        [actor.companyId, s.fromDay, s.toDay, ...ids],
      ) as Promise<Record<string, unknown>[]>,
      em.query(
        `SELECT repId, COUNT(*) AS n FROM script_pick WHERE companyId = ? AND pickedAt >= ? AND pickedAt < ? AND repId IN (${marks(ids.length)}) GROUP BY repId`,
        [actor.companyId, s.start, s.end, ...ids],
      ) as Promise<Record<string, unknown>[]>,
    ]);
    const pendingOf = pending.get('f48')!;
    for (const r of inRange) {
      const row = rows.get(Number(r.repId))!;
      if (num(r.leads) > 0) busy.add(row.repId);
      row.followup48h = kpiRatio('followup48h', num(r.hit), num(r.leads) - (pendingOf.get(String(Number(r.repId))) ?? 0), threshold);
      const trials = num(r.trials);
      const signed = num(r.signed);
      row.trialConversion = { value: trials ? signed / trials : null, trials, signed };
      updatedAt = newest(updatedAt, numOrNull(r.updatedAt));
    }
    for (const r of open) {
      const row = rows.get(Number(r.repId))!;
      row.backlog = num(r.backlog);
      if (row.backlog > 0) busy.add(row.repId);
      updatedAt = newest(updatedAt, numOrNull(r.updatedAt));
    }
    for (const r of overdue) rows.get(Number(r.repId))!.overdue = num(r.n);
    for (const r of [...scripted, ...picks]) {
      rows.get(Number(r.repId))!.scriptsUsed += num(r.n);
      if (num(r.n) > 0) busy.add(Number(r.repId));
    }
    // 双人协同: open leads each rep co-owns, now (whoever owns them).
    const coOwned: Record<string, unknown>[] = await em.query(
      `SELECT coOwnerId AS repId, COUNT(*) AS n FROM \`lead\` WHERE companyId = ? AND coOwnerId IN (${marks(ids.length)})
        AND status IN ('pending','assigned','following') AND deletedAt IS NULL GROUP BY coOwnerId`,
      [actor.companyId, ...ids],
    );
    for (const r of coOwned) {
      rows.get(Number(r.repId))!.coOwned = num(r.n);
      busy.add(Number(r.repId));
    }
  }
  // A deactivated rep stays on the map only while there is something of theirs to see.
  const inactive = new Set(users.filter((u) => !Number(u.active)).map((u) => Number(u.id)));
  const shown = [...rows.values()].filter((r) => !inactive.has(r.repId) || busy.has(r.repId));
  return { scope: s.scope, updatedAt, computedAt: now, threshold48h: threshold, reps: shown };
}

/** Open leads per owner: the rollup's `open` shape unless an attribute filter needs the facts. */
async function backlogs(em: EntityManager, s: ResolvedScope, extra: { sql: string; params: unknown[] }): Promise<Record<string, unknown>[]> {
  if (rollupsEnabled.value && !attributesOf(s).length) {
    return em.query(
      `SELECT f.ownerId AS repId, SUM(f.leads) AS backlog, MAX(f.updatedAt) AS updatedAt FROM lead_rollup f
        WHERE ${['f.companyId = ?', "f.shape = 'open'", 'f.day = 0', ...s.people.sql, extra.sql].join(' AND ')} GROUP BY f.ownerId HAVING SUM(f.leads) > 0`,
      [s.companyId, ...s.people.params, ...extra.params],
    );
  }
  return em.query(
    `SELECT f.ownerId AS repId, COUNT(*) AS backlog, MAX(f.updatedAt) AS updatedAt FROM lead_fact f
      WHERE ${s.where.join(' AND ')} AND f.status IN (${marks(OPEN_LEAD_STATUSES.length)}) AND ${extra.sql} GROUP BY f.ownerId`,
    [...s.params, ...OPEN_LEAD_STATUSES, ...extra.params],
  );
}

/**
 * Per channel over whole China-time months: leads, spend and cost per lead, 7-day retention, signings, first-deal
 * cycle, revenue (finance's 回款 for the leads it reported, list prices of the signed courses for the rest), cost per
 * signing and ROI (revenue ÷ spend). A view over part of the company gets
 * each channel's spend pro-rated by its share of the channel's leads (`spendBasis: 'share'`).
 */
export async function computeChannelRoi(em: EntityManager, actor: Actor, s: ResolvedScope, now: number): Promise<ChannelRoiResponse> {
  const cover = monthsCovering(s.scope.from, s.scope.to);
  const { start, end } = chinaRange(cover.from, cover.to);
  const src = sourceFor(s, actor.settings.levelA, { start, end }, { groupBy: 'channel' });
  const partial = isPartOfCompany(s);
  const [rows, pending, spend, signedCourses, companyLeads, paid] = await Promise.all([
    em.query(
      `SELECT ${src.attr('channel')} AS channel, ${src.sum('leads')} AS leads, ${src.sum('s7hit')} AS hit, ${src.sum('signed')} AS signed,
            ${src.sum('dealMs')} AS dealMs, MAX(f.updatedAt) AS updatedAt
       FROM ${src.from} GROUP BY ${src.attr('channel')} HAVING ${src.sum('leads')} > 0`,
      src.params,
    ) as Promise<Record<string, unknown>[]>,
    pendingCounts(em, s, { start, end }, ['s7'], now, { groupBy: 'channel' }),
    spendByChannel(em, actor.companyId, cover.months, s.filter.channel),
    signedCoursesByChannel(em, s, start, end),
    partial ? companyLeadsByChannel(em, actor.companyId, start, end) : Promise.resolve(null),
    paidByChannel(em, s, start, end),
  ]);
  const pendingOf = pending.get('s7')!;
  const spendBy = new Map(spend.map((r) => [String(r.channel), num(r.fen)]));
  const byChannel = new Map(rows.map((r) => [String(r.channel), r]));
  const channels = [...new Set([...byChannel.keys(), ...spendBy.keys()])];
  let updatedAt: number | null = null;
  for (const r of [...rows, ...spend]) updatedAt = newest(updatedAt, numOrNull(r.updatedAt));
  const prices = new Map(actor.settings.courses.map((c) => [c.name, c.price]));
  const out: ChannelRow[] = channels.map((channel) => {
    const r = byChannel.get(channel);
    const leads = num(r?.leads);
    const companyFen = spendBy.get(channel);
    // Integers first, one division last: (fen × leads) ÷ all is exact at a half fen, fen × (leads ÷ all) is not.
    const all = Math.max(1, companyLeads?.get(channel) ?? 0);
    const fen = companyFen === undefined || !companyLeads ? companyFen : Math.round((companyFen * Math.min(leads, all)) / all);
    const spendYuan = fen === undefined ? null : fen / 100;
    const signed = num(r?.signed);
    const listed = revenueOf(signedCourses.get(channel) ?? [], prices);
    const paidFen = paid.get(channel) ?? 0;
    const revenue = listed === null ? null : Math.round(listed * 100 + paidFen) / 100;
    return {
      channel,
      leads,
      spend: spendYuan,
      costPerLead: spendYuan !== null && leads > 0 ? Math.round(fen! / leads) / 100 : null,
      retention7d: kpiRatio('survival7d', num(r?.hit), leads - (pendingOf.get(channel) ?? 0)),
      signed,
      firstDealDays: signed ? num(r?.dealMs) / signed / DAY : null,
      revenue,
      revenuePaid: paidFen / 100,
      costPerSigning: spendYuan !== null && signed > 0 ? Math.round(fen! / signed) / 100 : null,
      roi: spendYuan && revenue !== null ? Math.round((revenue / spendYuan) * 1000) / 1000 : null,
    };
  });
  out.sort((a, b) => b.leads - a.leads || a.channel.localeCompare(b.channel, 'zh-CN'));
  return {
    scope: { ...s.scope, from: cover.from, to: cover.to },
    updatedAt,
    computedAt: now,
    months: cover.months,
    channels: out,
    spendBasis: partial ? 'share' : 'company',
  };
}

/** Whether the view's leads are only part of the company's (role scope, unit, rep, city, grade): spend is then shared out. */
function isPartOfCompany(s: ResolvedScope): boolean {
  return s.people.sql.length > 0 || s.filter.city !== undefined || s.filter.grade !== undefined;
}

function spendByChannel(em: EntityManager, companyId: number, months: string[], channel: string | undefined): Promise<Record<string, unknown>[]> {
  return em.query(
    `SELECT channel, SUM(amountFen) AS fen, MAX(updatedAt) AS updatedAt FROM channel_spend
      WHERE companyId = ? AND month IN (${marks(months.length)})${channel !== undefined ? ' AND channel = ?' : ''} GROUP BY channel`,
    [companyId, ...months, ...(channel !== undefined ? [channel] : [])],
  );
}

/** The company's leads per channel entered in [start, end): the denominator of a partial view's spend share. */
async function companyLeadsByChannel(em: EntityManager, companyId: number, start: number, end: number): Promise<Map<string, number>> {
  const rows: Record<string, unknown>[] = await em.query(
    `SELECT channel, COUNT(*) AS n FROM lead_fact WHERE companyId = ? AND deletedAt IS NULL AND enteredAt >= ? AND enteredAt < ? GROUP BY channel`,
    [companyId, start, end],
  );
  return new Map(rows.map((r) => [String(r.channel), num(r.n)]));
}

const PAID = 'SELECT 1 FROM lead_revenue r WHERE r.companyId = f.companyId AND r.leadId = f.leadId AND r.deletedAt IS NULL';

/** Signed leads of the view per channel and course that finance reported no money for: valued at list price. */
async function signedCoursesByChannel(em: EntityManager, s: ResolvedScope, start: number, end: number): Promise<Map<string, { course: string; n: number }[]>> {
  const w = factWhere(s, start, end);
  const rows: Record<string, unknown>[] = await em.query(
    `SELECT f.channel AS channel, f.signedCourse AS course, COUNT(*) AS n FROM lead_fact f
      WHERE ${w.sql} AND f.signedAt IS NOT NULL AND NOT EXISTS (${PAID}) GROUP BY f.channel, f.signedCourse`,
    w.params,
  );
  const out = new Map<string, { course: string; n: number }[]>();
  for (const r of rows) out.set(String(r.channel), [...(out.get(String(r.channel)) ?? []), { course: String(r.course ?? ''), n: num(r.n) }]);
  return out;
}

/** Fen finance reported (回款 events) for the view's leads, per channel. */
async function paidByChannel(em: EntityManager, s: ResolvedScope, start: number, end: number): Promise<Map<string, number>> {
  const w = factWhere(s, start, end);
  const rows: Record<string, unknown>[] = await em.query(
    `SELECT f.channel AS channel, SUM(r.amountFen) AS fen FROM lead_fact f
       JOIN lead_revenue r ON r.companyId = f.companyId AND r.leadId = f.leadId AND r.deletedAt IS NULL
      WHERE ${w.sql} GROUP BY f.channel`,
    w.params,
  );
  return new Map(rows.map((r) => [String(r.channel), num(r.fen)]));
}

/** Revenue of a channel's signings at list price; null when a signed course has no price (a figure we cannot stand behind). */
function revenueOf(signed: { course: string; n: number }[], prices: Map<string, number | undefined>): number | null {
  let total = 0;
  for (const { course, n } of signed) {
    const price = prices.get(course);
    if (price === undefined) return null;
    total += price * n;
  }
  return total;
}
