import type { EntityManager } from 'typeorm';
import {
  KPI_WINDOWS, chinaRange, journeyIndex, kpiRatio, monthsCovering,
  type ChannelRoiResponse, type ChannelRow, type RepBattleResponse, type RepRow,
} from '@lifeline/shared';
import type { Actor } from '../auth/actor';
import { FOLLOWUP_48H, SURVIVAL, newest } from './kpi-queries';
import { factWhere, repCondition, type ResolvedScope } from './scope';
import { marks, num, numOrNull } from './sql';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const TRIAL = journeyIndex('试听体验');
export const OPEN_STATUSES = ['assigned', 'following'] as const;

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
      repId: Number(u.id), name: u.name, unitName: u.unitName ?? null, backlog: 0, overdue: 0,
      followup48h: kpiRatio('followup48h', 0, 0, threshold), trialConversion: { value: null, trials: 0, signed: 0 }, scriptsUsed: 0,
    });
  }
  let updatedAt: number | null = null;
  const busy = new Set<number>(); // reps with any lead, backlog or script use in view
  if (ids.length) {
    const owners = `f.ownerId IN (${marks(ids.length)})`;
    const w = factWhere(s, s.start, s.end);
    // Four independent reads, side by side on MySQL's pool.
    const [inRange, open, scripted, picks]: Record<string, unknown>[][] = await Promise.all([em.query(
      `SELECT f.ownerId AS repId, COUNT(*) AS leads, ${FOLLOWUP_48H.hit} AS hit, ${FOLLOWUP_48H.counted} AS n,
              SUM(CASE WHEN f.maxNodeIndex >= ${TRIAL} THEN 1 ELSE 0 END) AS trials,
              SUM(CASE WHEN f.maxNodeIndex >= ${TRIAL} AND f.signedAt IS NOT NULL THEN 1 ELSE 0 END) AS signed,
              MAX(f.updatedAt) AS updatedAt
         FROM lead_fact f WHERE ${w.sql} AND ${owners} GROUP BY f.ownerId`,
      [now, ...w.params, ...ids],
    ),
    // Backlog is the rep's open work now, whenever it entered: the date range does not apply.
    em.query(
      `SELECT f.ownerId AS repId, COUNT(*) AS backlog,
              SUM(CASE WHEN (f.assignTouchAt IS NULL AND COALESCE(f.assignedAt, f.enteredAt) + ${KPI_WINDOWS.followupHours * HOUR} <= ?)
                         OR (f.nextStepDueAt IS NOT NULL AND f.nextStepDueAt < ?) THEN 1 ELSE 0 END) AS overdue,
              MAX(f.updatedAt) AS updatedAt
         FROM lead_fact f WHERE ${s.where.join(' AND ')} AND f.status IN ('assigned', 'following') AND ${owners} GROUP BY f.ownerId`,
      [now, now, ...s.params, ...ids],
    ),
    em.query(
      `SELECT repId, SUM(scriptFollowups) AS n FROM rep_day WHERE companyId = ? AND day >= ? AND day <= ? AND repId IN (${marks(ids.length)}) GROUP BY repId`,
      [actor.companyId, s.fromDay, s.toDay, ...ids],
    ),
    em.query(
      `SELECT repId, COUNT(*) AS n FROM script_pick WHERE companyId = ? AND pickedAt >= ? AND pickedAt < ? AND repId IN (${marks(ids.length)}) GROUP BY repId`,
      [actor.companyId, s.start, s.end, ...ids],
    )]);
    for (const r of inRange) {
      const row = rows.get(Number(r.repId))!;
      if (num(r.leads) > 0) busy.add(row.repId);
      row.followup48h = kpiRatio('followup48h', num(r.hit), num(r.n), threshold);
      const trials = num(r.trials);
      const signed = num(r.signed);
      row.trialConversion = { value: trials ? signed / trials : null, trials, signed };
      updatedAt = newest(updatedAt, numOrNull(r.updatedAt));
    }
    for (const r of open) {
      const row = rows.get(Number(r.repId))!;
      row.backlog = num(r.backlog);
      if (row.backlog > 0) busy.add(row.repId);
      row.overdue = num(r.overdue);
      updatedAt = newest(updatedAt, numOrNull(r.updatedAt));
    }
    for (const r of [...scripted, ...picks]) {
      rows.get(Number(r.repId))!.scriptsUsed += num(r.n);
      if (num(r.n) > 0) busy.add(Number(r.repId));
    }
  }
  // A deactivated rep stays on the map only while there is something of theirs to see.
  const inactive = new Set(users.filter((u) => !Number(u.active)).map((u) => Number(u.id)));
  const shown = [...rows.values()].filter((r) => !inactive.has(r.repId) || busy.has(r.repId));
  return { scope: s.scope, updatedAt, computedAt: now, threshold48h: threshold, reps: shown };
}

/** Per channel over whole China-time months: leads, spend and cost per lead, 7-day retention, signings and first-deal cycle. */
export async function computeChannelRoi(em: EntityManager, actor: Actor, s: ResolvedScope, now: number): Promise<ChannelRoiResponse> {
  const cover = monthsCovering(s.scope.from, s.scope.to);
  const { start, end } = chinaRange(cover.from, cover.to);
  const w = factWhere(s, start, end);
  const spendWhere = s.filter.channel !== undefined ? ' AND channel = ?' : '';
  const [rows, spend]: Record<string, unknown>[][] = await Promise.all([em.query(
    `SELECT f.channel AS channel, COUNT(*) AS leads, ${SURVIVAL.hit} AS hit, ${SURVIVAL.counted} AS n,
            SUM(CASE WHEN f.signedAt IS NOT NULL THEN 1 ELSE 0 END) AS signed,
            SUM(CASE WHEN f.signedAt IS NOT NULL THEN f.signedAt - f.enteredAt ELSE 0 END) AS dealMs,
            MAX(f.updatedAt) AS updatedAt
       FROM lead_fact f WHERE ${w.sql} GROUP BY f.channel`,
    [now, ...w.params],
  ), em.query(
    `SELECT channel, SUM(amountFen) AS fen, MAX(updatedAt) AS updatedAt FROM channel_spend
      WHERE companyId = ? AND month IN (${marks(cover.months.length)})${spendWhere} GROUP BY channel`,
    [actor.companyId, ...cover.months, ...(s.filter.channel !== undefined ? [s.filter.channel] : [])],
  )]);
  const spendBy = new Map(spend.map((r) => [String(r.channel), num(r.fen)]));
  const byChannel = new Map(rows.map((r) => [String(r.channel), r]));
  const channels = [...new Set([...byChannel.keys(), ...spendBy.keys()])];
  let updatedAt: number | null = null;
  for (const r of [...rows, ...spend]) updatedAt = newest(updatedAt, numOrNull(r.updatedAt));
  const out: ChannelRow[] = channels.map((channel) => {
    const r = byChannel.get(channel);
    const leads = num(r?.leads);
    const fen = spendBy.get(channel);
    const spendYuan = fen === undefined ? null : fen / 100;
    const signed = num(r?.signed);
    return {
      channel,
      leads,
      spend: spendYuan,
      costPerLead: spendYuan !== null && leads > 0 ? Math.round((fen! / leads)) / 100 : null,
      retention7d: kpiRatio('survival7d', num(r?.hit), num(r?.n)),
      signed,
      firstDealDays: signed ? num(r?.dealMs) / signed / DAY : null,
    };
  });
  out.sort((a, b) => b.leads - a.leads || a.channel.localeCompare(b.channel, 'zh-CN'));
  return {
    scope: { ...s.scope, from: cover.from, to: cover.to }, updatedAt, computedAt: now, months: cover.months, channels: out,
  };
}

