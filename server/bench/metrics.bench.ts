/**
 * Dashboard benchmark on MariaDB/MySQL: `npm run bench:metrics` (add `--write` or BENCH_WRITE=1 to update docs/benchmarks.md).
 *
 * - A fresh database `lifeline_test_bench_metrics_<pid>` (dropped at the end, also on failure): migrations, the demo
 *   company (teams, reps) plus extra reps in the same teams, then BENCH_LEADS (default 1,000,000) leads bulk-loaded over
 *   the last 12 months with multi-row INSERTs: customers, leads, follow-ups, journey events and stays, conversations,
 *   channel spend, script counters and the lead_fact rows. The facts are computed here from the generated rows with
 *   the product's own shared rules; a random sample is then recomputed by the product's refreshLeadFacts and compared.
 * - The real server (main.ts, demo mode for dev-login; the company exists, so nothing is seeded) on a free port.
 * - Paced open-loop load on the dashboard APIs (director: whole company; supervisor: subtree; default 30-day range),
 *   while follow-ups are posted as reps and the rep's KPIs are polled until they show it (freshness).
 * - One more paced run with a one-year range (reported; the target is for the default range).
 *
 * Env: BENCH_MYSQL_URL (else TEST_MYSQL_URL, else mysql://lifeline:lifeline@127.0.0.1:3306/lifeline), BENCH_LEADS,
 * BENCH_RATE (req/s, default 20), BENCH_SECONDS (default 30), BENCH_KEEP=1 keeps the database (and BENCH_DB=<name>
 * reuses a kept one instead of generating), BENCH_VERIFY (sample size, default 1000).
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { JOURNEY_NODES, KPI_WINDOWS, chinaDayOf, demandMatchOf, journeyIndex, pendingUntil, profileFilled } from '@lifeline/shared';
import { createDataSource } from '../src/db/data-source';
import { migrate } from '../src/db/migrate';
import { seedDemo } from '../src/demo/seed';
import { Tx } from '../src/db/tx';
import { backfillTimers } from '../src/alarms';
import type { AppContext } from '../src/context';
import { DEMO_CHANNELS, DEMO_SURNAMES, DEMO_TEAMS } from '../src/demo/demo-data';
import { refreshLeadFacts } from '../src/metrics/facts';
import { rebuildRollups } from '../src/metrics/rollup';
import { effectiveSettings } from '../src/companies/settings';
import {
  CpuMeter,
  benchMysqlUrl,
  findPidByComm,
  freePort,
  latencyStats,
  machineIdlePct,
  mdTable,
  mysqlConnOptions,
  round,
  sleep,
  textTable,
  writeDocSection,
  type LatencyStats,
} from './bench-kit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const N = Number(process.env.BENCH_LEADS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const KEEP = process.env.BENCH_KEEP === '1';
const REUSE = process.env.BENCH_DB;
const VERIFY = Number(process.env.BENCH_VERIFY ?? 1000);
const TOTAL_REPS = 60;
const FRESH_SAMPLES = 40;
const TARGET = { p99Ms: 100, freshMs: 1000 };
const DISTURBED_OTHER_PCT = 30;

const MIN = 60_000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const log = (...a: unknown[]) => console.error('[bench:metrics]', ...a);

// ------------------------------------------------------------------------------------------ database

const baseUrl = benchMysqlUrl;
const connOpts = mysqlConnOptions;

/** Deterministic PRNG (mulberry32), so every run generates the same data set. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------- generation

interface Team {
  key: string;
  city: string;
  grades: string[];
  unitId: number;
  supervisorId: number;
  reps: number[];
  weight: number;
}

/** Hours spent per stage, by city (the heat map has something to show). */
const STAGE_HOURS: Record<string, Record<string, number>> = {
  苏州: { 首次触达: 20, 需求确认: 40, 方案提供: 60, 试听体验: 90 },
  南京: { 首次触达: 30, 需求确认: 55, 方案提供: 85, 试听体验: 120 },
};
const CONCERNS = ['升学政策', '学科提分', '学习方法', '心理辅导'];
const CARRIERS = ['中国移动', '中国联通', '中国电信'];
const CHANNEL_POINTS: Record<string, number> = {
  '抖音-202601直播': 20,
  '公众号-寒假讲座推文': 10,
  '百度-品牌词': 15,
  '地推-展会二维码': 5,
  '转介绍-老学员': 30,
};
const LEAD_COLS = [
  'id',
  'companyId',
  'customerId',
  'channel',
  'ownerId',
  'orgUnitId',
  'status',
  'journeyNode',
  'score',
  'scoreBreakdown',
  'lostReason',
  'createdAt',
  'assignedAt',
  'claimedAt',
  'firstFollowupAt',
  'lastFollowupAt',
  'createdBy',
  'updatedAt',
  'signedAt',
  'signedCourse',
];
const CUSTOMER_COLS = ['id', 'companyId', 'phone', 'name', 'province', 'city', 'carrier', 'grade', 'concerns', 'tags', 'createdBy', 'createdAt', 'updatedAt'];
const FOLLOWUP_COLS = [
  'id',
  'companyId',
  'leadId',
  'customerId',
  'authorId',
  'action',
  'conclusion',
  'source',
  'scriptId',
  'clientRequestId',
  'requestHash',
  'createdAt',
  'signedCourse',
];
const EVENT_COLS = ['companyId', 'leadId', 'fromNode', 'toNode', 'at', 'actorId', 'followupId', 'scriptId'];
const STAY_COLS = ['companyId', 'leadId', 'node', 'enteredAt', 'leftAt', 'actorId', 'followupId', 'scriptId'];
const CONV_COLS = ['companyId', 'repId', 'customerId', 'day', 'firstAt', 'source', 'followupAt', 'updatedAt'];
const FACT_COLS = [
  'companyId',
  'enteredAt',
  'leadId',
  'enteredDay',
  'customerId',
  'ownerId',
  'orgUnitId',
  'channel',
  'city',
  'grade',
  'status',
  'journeyNode',
  'nodeEnteredAt',
  'maxNodeIndex',
  'lostNode',
  'score',
  'assignedAt',
  'firstTouchAt',
  'assignTouchAt',
  'nextStepDueAt',
  'trialAt',
  'signedAt',
  'signedCourse',
  'demandMatch',
  'profileFilled',
  'profileRequired',
  'profilePrimary',
  's7PendingUntil',
  'f24PendingUntil',
  'f48PendingUntil',
  ...JOURNEY_NODES.map((_, i) => `stayMs${i}`),
  ...JOURNEY_NODES.map((_, i) => `stays${i}`),
  'deletedAt',
  'updatedAt',
];

interface Chunk {
  leads: unknown[][];
  customers: unknown[][];
  followups: unknown[][];
  events: unknown[][];
  stays: unknown[][];
  convs: unknown[][];
  facts: unknown[][];
}

interface GenContext {
  companyId: number;
  opsId: number;
  now: number;
  start: number;
  span: number;
  teams: Team[];
  scripts: number[];
  leadBase: number;
  customerBase: number;
  followupId: number;
  repDay: Map<string, number>;
  counts: Record<string, number>;
}

/**
 * Leads [from, to) of the data set, with everything that happened to them, modelled on the demo history
 * (server/src/demo/history.ts): most first calls within hours, a tail beyond a day; needs, material, objections,
 * trials, signings with a course; losses along the way; stalled leads given up after a month.
 */
// Over the function length limit on purpose: one lead's whole story per iteration, drawn from one PRNG stream in a fixed
// order; the order of the draws is the data set (docs/benchmarks.md figures), so it stays one readable sequence.
// eslint-disable-next-line max-lines-per-function -- see above: the PRNG draw order is the data set
function generate(g: GenContext, from: number, to: number): Chunk {
  const out: Chunk = { leads: [], customers: [], followups: [], events: [], stays: [], convs: [], facts: [] };
  const settings = effectiveSettings({});
  const courses = settings.courses;
  const teamWeights = g.teams.flatMap((t) => Array(t.weight).fill(t) as Team[]);
  const channelWeights = DEMO_CHANNELS.flatMap((c) => Array(c.weight).fill(c.tag) as string[]);
  const late = (t: number) => t >= g.now - 2 * HOUR; // nothing is dated in the future
  for (let i = from; i < to; i++) {
    const rand = rng(0x5eed + i * 7919);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const jitter = (h: number) => Math.floor(h * HOUR * (0.4 + rand() * 1.2));
    const created = g.start + Math.floor(((i + rand()) * g.span) / N);
    const leadId = g.leadBase + i;
    const customerId = g.customerBase + i;
    const team = pick(teamWeights);
    const concerns = [pick(CONCERNS)];
    if (rand() < 0.25) concerns.push(pick(CONCERNS));
    const cust = {
      name: rand() < 0.9 ? `${pick(DEMO_SURNAMES)}${rand() < 0.75 ? '妈妈' : '爸爸'}` : null,
      city: rand() < 0.97 ? team.city : null,
      grade: rand() < 0.92 ? pick(team.grades) : null,
      concerns: rand() < 0.9 ? [...new Set(concerns)] : [],
    };
    const channel = pick(channelWeights);
    const score = (CHANNEL_POINTS[channel] ?? 0) + (cust.grade === '初三' || cust.grade === '高三' ? 25 : 0) + (cust.concerns.includes('升学政策') ? 10 : 0);
    const pending = created > g.now - DAY && rand() < 0.05; // a few fresh leads still in the pool
    const owner = pending ? null : pick(team.reps);
    const stage = STAGE_HOURS[team.city] ?? STAGE_HOURS['苏州'];

    // What happened, in time order.
    const events: { node: string; at: number; actor: number | null; followupId: number | null; scriptId: number | null }[] = [
      { node: '线索获取', at: created, actor: g.opsId, followupId: null, scriptId: null },
    ];
    const fus: { id: number; at: number; action: string; conclusion: string; scriptId: number | null; course: string | null }[] = [];
    let status = pending ? 'pending' : 'assigned';
    let lostAt: number | null = null;
    let lostReason: string | null = null;
    let signedAt: number | null = null;
    let signedCourse: string | null = null;
    const node = () => events[events.length - 1].node;
    const follow = (at: number, action: string, conclusion: string, moveTo: string | null, course: string | null = null) => {
      const id = g.followupId++;
      const scriptId = g.scripts.length && rand() < 0.35 ? pick(g.scripts) : null;
      fus.push({ id, at, action, conclusion, scriptId, course });
      if (moveTo && journeyIndex(moveTo) > journeyIndex(node())) events.push({ node: moveTo, at, actor: owner, followupId: id, scriptId });
      if (status === 'assigned') status = 'following';
    };
    const lose = (at: number, reason: string) => {
      if (late(at)) return;
      status = 'lost';
      lostAt = at;
      lostReason = reason;
    };
    const stall = (lastAt: number) => {
      // Stalled leads: most are given up after a month without progress.
      if (rand() < 0.7) lose(lastAt + 30 * DAY, '长期未回复');
    };
    const extraCalls = (fromAt: number, toAt: number) => {
      // Calls in between that do not move the journey (≈ one per lead on average over the whole path).
      if (rand() < 0.3 && !late(toAt))
        follow(
          fromAt + Math.floor((toAt - fromAt) * (0.2 + rand() * 0.6)),
          pick(['已电话沟通', '已微信沟通']),
          pick(['家长在考虑', '约下周再聊', '孩子时间紧']),
          null,
        );
    };
    (() => {
      if (pending) return;
      if (rand() < 0.08) return lose(created + 3 * DAY, '多次联系不上');
      let at = created + Math.floor(rand() < 0.85 ? 5 * MIN + rand() * 4 * HOUR : 20 * HOUR + rand() * 50 * HOUR);
      if (late(at)) return;
      follow(at, '已电话沟通', pick(['关注中考政策', '孩子数学偏弱', '想了解课程安排', '预算有限，需对比']), '首次触达');
      if (rand() < 0.7) {
        const next = at + jitter(stage['首次触达']);
        if (!late(next)) {
          at = next;
          events.push({ node: '需求确认', at, actor: owner, followupId: null, scriptId: null });
        }
      }
      if (rand() < 0.12) return lose(at + jitter(30), pick(['预算不足', '选择了其他机构', '暂不考虑']));
      let next = at + jitter(stage['需求确认']);
      if (late(next)) return;
      extraCalls(at, next);
      at = next;
      follow(at, '已发送资料', '已发课程介绍和白皮书', '方案提供');
      if (rand() < 0.35) {
        next = at + jitter(stage['方案提供']);
        if (!late(next)) {
          at = next;
          events.push({ node: '异议处理', at, actor: owner, followupId: null, scriptId: null });
        }
      }
      if (rand() < 0.15) return lose(at + jitter(40), pick(['价格太高', '时间不合适', '选择了其他机构']));
      next = at + jitter(stage['方案提供']);
      if (late(next)) return;
      if (rand() < 0.25) return stall(at);
      extraCalls(at, next);
      at = next;
      follow(at, '已预约试听', '已约周末试听', '试听体验');
      if (rand() < 0.25) return lose(at + jitter(stage['试听体验']), '试听后不满意');
      next = at + jitter(stage['试听体验']);
      if (late(next)) return;
      if (rand() < 0.3) return stall(at);
      extraCalls(at, next);
      at = next;
      const concern = rand() < 0.85 && cust.concerns.length ? cust.concerns[0] : pick(CONCERNS);
      const course = courses.find((c) => c.concern === concern)?.name ?? courses[0].name;
      follow(at, '已签约', '签约春季班', '签约转化', course);
      status = 'won';
      signedAt = at;
      signedCourse = course;
    })();

    fus.sort((a, b) => a.at - b.at);
    const firstFu = fus[0]?.at ?? null;
    const lastFu = fus.length ? fus[fus.length - 1].at : null;
    const updatedAt = Math.max(created, lastFu ?? 0, events[events.length - 1].at, lostAt ?? 0);
    const journeyNode = node();
    g.counts.followups += fus.length;
    out.customers.push([
      customerId,
      g.companyId,
      `1${3 + (i % 7)}${String(i).padStart(9, '0')}`,
      cust.name,
      '江苏',
      cust.city,
      pick(CARRIERS),
      cust.grade,
      JSON.stringify(cust.concerns),
      '[]',
      g.opsId,
      created,
      created,
    ]);
    out.leads.push([
      leadId,
      g.companyId,
      customerId,
      channel,
      owner,
      owner === null ? null : team.unitId,
      status,
      journeyNode,
      score,
      '[]',
      lostReason,
      created,
      owner === null ? null : created,
      firstFu,
      firstFu,
      lastFu,
      g.opsId,
      updatedAt,
      signedAt,
      signedCourse,
    ]);
    const convDays = new Map<number, number>(); // conversation day → first follow-up that day (this rep, this customer)
    for (const f of fus) {
      out.followups.push([
        f.id,
        g.companyId,
        leadId,
        customerId,
        owner,
        f.action,
        f.conclusion,
        rand() < 0.3 ? 'voice' : 'typed',
        f.scriptId,
        `bench-${f.id}`,
        'bench',
        f.at,
        f.course,
      ]);
      if (f.scriptId !== null && owner !== null) {
        const key = `${owner}:${chinaDayOf(f.at)}`;
        g.repDay.set(key, (g.repDay.get(key) ?? 0) + 1);
      }
    }
    // Most follow-ups come out of a chat that day; a few chats never get a record (entry rate < 100%).
    const firstOfDay = new Map<number, number>();
    for (const f of fus) if (!firstOfDay.has(chinaDayOf(f.at))) firstOfDay.set(chinaDayOf(f.at), f.at);
    const talks: number[] = [];
    for (const f of fus) if (rand() < 0.92) talks.push(f.at - Math.floor(rand() * 40 * MIN));
    if (owner !== null && rand() < 0.1 && !late(created + 3 * HOUR)) talks.push(created + 3 * HOUR);
    for (const t of talks) {
      const day = chinaDayOf(t);
      if (convDays.has(day) || owner === null) continue;
      const fAt = firstOfDay.get(day) ?? null;
      convDays.set(day, t);
      out.convs.push([g.companyId, owner, customerId, day, t, pick(['wecom', 'sidebar', 'dingtalk']), fAt, fAt ?? t]);
    }
    // Journey events and the stays derived from them (as the journey service and the backfill write them).
    const ms = Array(JOURNEY_NODES.length).fill(0) as number[];
    const n = Array(JOURNEY_NODES.length).fill(0) as number[];
    let maxNode = 0;
    let trialAt: number | null = null;
    for (let k = 0; k < events.length; k++) {
      const e = events[k];
      const leftAt = k + 1 < events.length ? events[k + 1].at : null;
      out.events.push([g.companyId, leadId, k ? events[k - 1].node : null, e.node, e.at, e.actor, e.followupId, e.scriptId]);
      out.stays.push([g.companyId, leadId, e.node, e.at, leftAt, e.actor, e.followupId, e.scriptId]);
      const ix = journeyIndex(e.node);
      maxNode = Math.max(maxNode, ix);
      if (ix >= journeyIndex('试听体验') && trialAt === null) trialAt = e.at;
      if (leftAt !== null) {
        ms[ix] += leftAt - e.at;
        n[ix] += 1;
      }
    }
    const since = created; // assignedAt ?? enteredAt: both are the creation time here
    const profile = profileFilled({ ...cust }, settings.requiredProfileFields);
    const assignTouch = fus.find((f) => f.at >= since)?.at ?? null;
    out.facts.push([
      g.companyId,
      created,
      leadId,
      chinaDayOf(created),
      customerId,
      owner,
      owner === null ? null : team.unitId,
      channel,
      cust.city,
      cust.grade,
      status,
      journeyNode,
      events[events.length - 1].at,
      maxNode,
      status === 'lost' ? journeyNode : null,
      score,
      owner === null ? null : created,
      firstFu,
      assignTouch,
      null,
      trialAt,
      signedAt,
      signedCourse,
      signedAt === null ? null : demandMatchOf(signedCourse, cust.concerns, courses),
      profile.filled,
      profile.required,
      1, // one lead per customer: each is its customer's newest
      pendingUntil(created, firstFu, KPI_WINDOWS.survivalHours * HOUR),
      pendingUntil(created, firstFu, KPI_WINDOWS.firstTouchHours * HOUR),
      pendingUntil(since, assignTouch, KPI_WINDOWS.followupHours * HOUR),
      ...ms,
      ...n,
      null,
      updatedAt,
    ]);
  }
  return out;
}

async function bulkInsert(conn: mysql.PoolConnection, table: string, cols: string[], rows: unknown[][], per = 2000): Promise<void> {
  for (let i = 0; i < rows.length; i += per) {
    await conn.query(`INSERT INTO \`${table}\` (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES ?`, [rows.slice(i, i + per)]);
  }
}

/** One generated chunk, in one transaction (checks off: the generator's ids are unique by construction). */
async function loadChunk(pool: mysql.Pool, c: Chunk): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.query('SET foreign_key_checks = 0, unique_checks = 0');
    await conn.beginTransaction();
    await bulkInsert(conn, 'customer', CUSTOMER_COLS, c.customers);
    await bulkInsert(conn, 'lead', LEAD_COLS, c.leads);
    await bulkInsert(conn, 'followup', FOLLOWUP_COLS, c.followups);
    await bulkInsert(conn, 'journey_event', EVENT_COLS, c.events);
    await bulkInsert(conn, 'journey_stay', STAY_COLS, c.stays);
    await bulkInsert(conn, 'conversation', CONV_COLS, c.convs);
    await bulkInsert(conn, 'lead_fact', FACT_COLS, c.facts, 1000);
    await conn.commit();
  } finally {
    conn.release();
  }
}

/** rep_day (script follow-ups, then the entry-rate counters) and a year of channel spend. */
async function repDaysAndSpend(pool: mysql.Pool, g: GenContext, opsId: number): Promise<void> {
  const { companyId, now } = g;
  const rd = [...g.repDay].map(([key, n]) => {
    const [repId, day] = key.split(':').map(Number);
    return [companyId, repId, day, n];
  });
  const conn = await pool.getConnection();
  try {
    await bulkInsert(conn, 'rep_day', ['companyId', 'repId', 'day', 'scriptFollowups'], rd);
    // The entry-rate counters, exactly as the product keeps them: one per conversation, one per followed conversation.
    await conn.query(
      `INSERT INTO rep_day (companyId, repId, day, scriptFollowups, conversations, followedConversations, updatedAt)
       SELECT companyId, repId, day, 0, COUNT(*), SUM(CASE WHEN followupAt IS NOT NULL THEN 1 ELSE 0 END), MAX(updatedAt)
         FROM conversation WHERE companyId = ? GROUP BY companyId, repId, day
       ON DUPLICATE KEY UPDATE conversations = VALUES(conversations), followedConversations = VALUES(followedConversations), updatedAt = VALUES(updatedAt)`,
      [companyId],
    );
    // Spend per channel for every month in the data set, roughly by channel weight and the month's volume.
    const months = new Set<string>();
    for (let t = g.start; t <= now + DAY; t += 10 * DAY) months.add(String(chinaDayOf(t)).replace(/^(\d{4})(\d{2}).*/, '$1-$2'));
    const rand = rng(42);
    const spend = [...months].flatMap((m) =>
      DEMO_CHANNELS.map((c) => [companyId, c.tag, m, Math.round(c.weight * (N / 12) * (6 + rand() * 3)) * 10, opsId, now - DAY]),
    );
    await conn.query('INSERT IGNORE INTO channel_spend (companyId, channel, month, amountFen, updatedBy, updatedAt) VALUES ?', [spend]);
  } finally {
    conn.release();
  }
}

async function generateDataSet(dbUrl: string, companyId: number, now: number): Promise<{ ms: number; counts: Record<string, number> }> {
  const t0 = performance.now();
  const pool = mysql.createPool({ ...connOpts(new URL(dbUrl), new URL(dbUrl).pathname.slice(1)), connectionLimit: 3 });
  try {
    const [[ops]] = (await pool.query("SELECT id FROM app_user WHERE companyId = ? AND role = 'ops' LIMIT 1", [companyId])) as any;
    const [units] = (await pool.query('SELECT id, name, supervisorId FROM org_unit WHERE companyId = ?', [companyId])) as any;
    const [users] = (await pool.query("SELECT id, orgUnitId FROM app_user WHERE companyId = ? AND role = 'rep' AND active = 1", [companyId])) as any;
    const [scripts] = (await pool.query('SELECT id FROM script WHERE companyId = ?', [companyId])) as any;
    const weights: Record<string, number> = { 'sz-zk': 35, 'sz-xx': 25, 'nj-zh': 40 };
    const teams: Team[] = DEMO_TEAMS.map((t) => {
      const u = units.find((x: any) => x.name === t.team);
      return {
        key: t.key,
        city: t.city,
        grades: t.grades,
        unitId: u.id,
        supervisorId: u.supervisorId,
        weight: weights[t.key] ?? 30,
        reps: users.filter((r: any) => r.orgUnitId === u.id).map((r: any) => Number(r.id)),
      };
    });
    // More reps in the same teams, in proportion to their lead share: a company with a million leads a year has more than 8.
    let k = 0;
    for (let have = users.length; have < TOTAL_REPS; have++, k++) {
      const team = teams.flatMap((t) => Array(t.weight).fill(t) as Team[])[(k * 37) % 100];
      const [res] = (await pool.query(
        "INSERT INTO app_user (companyId, name, role, orgUnitId, managerId, active, createdAt, updatedAt) VALUES (?, ?, 'rep', ?, ?, 1, ?, ?)",
        [companyId, `${DEMO_SURNAMES[k % DEMO_SURNAMES.length]}顾问${k + 1}`, team.unitId, team.supervisorId, now - 400 * DAY, now - 400 * DAY],
      )) as any;
      team.reps.push(Number(res.insertId));
    }
    const [[lmax]] = (await pool.query('SELECT COALESCE(MAX(id), 0) AS m FROM `lead`')) as any;
    const [[cmax]] = (await pool.query('SELECT COALESCE(MAX(id), 0) AS m FROM customer')) as any;
    const [[fmax]] = (await pool.query('SELECT COALESCE(MAX(id), 0) AS m FROM followup')) as any;
    const g: GenContext = {
      companyId,
      opsId: Number(ops.id),
      now,
      span: 365 * DAY,
      start: now - 365 * DAY,
      teams,
      scripts: scripts.map((s: any) => Number(s.id)),
      leadBase: Number(lmax.m) + 1000,
      customerBase: Number(cmax.m) + 1000,
      followupId: Number(fmax.m) + 1000,
      repDay: new Map(),
      counts: { followups: 0, events: 0, conversations: 0 },
    };
    const CHUNK = 5000;
    const inflight: Promise<void>[] = [];
    let lastLog = performance.now();
    for (let from = 0; from < N; from += CHUNK) {
      const c = generate(g, from, Math.min(N, from + CHUNK));
      g.counts.events += c.events.length;
      g.counts.conversations += c.convs.length;
      inflight.push(loadChunk(pool, c));
      if (inflight.length >= 2) await inflight.shift();
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        log(`  ${(from + CHUNK).toLocaleString('en')} leads in ${round((performance.now() - t0) / 1000)} s`);
      }
    }
    await Promise.all(inflight);
    await repDaysAndSpend(pool, g, ops.id);
    // The rollup from the facts, by the product's own rebuild (as the migration and a threshold change run it).
    const tRollup = performance.now();
    const ds = await createDataSource({ kind: 'mysql', url: dbUrl }, { poolSize: 1 }).initialize();
    try {
      await ds.transaction((em) => rebuildRollups(em, companyId, effectiveSettings({}).levelA));
    } finally {
      await ds.destroy();
    }
    log(`rollups built in ${round((performance.now() - tRollup) / 1000)} s`);
    await pool.query('ANALYZE TABLE lead_fact, lead_rollup, conversation, rep_day, `lead`, followup');
    return { ms: performance.now() - t0, counts: { leads: N, ...g.counts, reps: TOTAL_REPS } };
  } finally {
    await pool.end();
  }
}

/**
 * The generated facts against the product's own computation: for a random sample of leads, refreshLeadFacts
 * recomputes their rows inside a transaction that is rolled back; every column must match. Also times it.
 */
async function verifyFacts(dbUrl: string, companyId: number, sample: number): Promise<{ checked: number; mismatches: string[]; perSec: number }> {
  const ds = await createDataSource({ kind: 'mysql', url: dbUrl }, { poolSize: 2 }).initialize();
  try {
    const [{ lo, hi }] = await ds.query('SELECT MIN(leadId) AS lo, MAX(leadId) AS hi FROM lead_fact WHERE companyId = ?', [companyId]);
    const rand = rng(7);
    const picked = new Set<number>();
    for (let k = 0; k < sample * 3 && picked.size < sample; k++) {
      const [r] = await ds.query('SELECT leadId FROM lead_fact WHERE leadId >= ? ORDER BY leadId LIMIT 1', [
        Number(lo) + Math.floor(rand() * (Number(hi) - Number(lo) + 1)),
      ]);
      if (r) picked.add(Number(r.leadId));
    }
    const ids = [...picked];
    const read = async (q: { query: (s: string, p: unknown[]) => Promise<any[]> }) =>
      new Map((await q.query(`SELECT * FROM lead_fact WHERE leadId IN (${ids.join(',')})`, [])).map((r: any) => [Number(r.leadId), r]));
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    try {
      const before = await read(qr.manager);
      const t = performance.now();
      for (let i = 0; i < ids.length; i += 200) await refreshLeadFacts(qr.manager, companyId, ids.slice(i, i + 200));
      const perSec = ids.length / ((performance.now() - t) / 1000);
      const after = await read(qr.manager);
      const mismatches: string[] = [];
      for (const id of ids) {
        const a = before.get(id);
        const b = after.get(id);
        if (!a || !b) {
          mismatches.push(`lead ${id}: missing ${a ? 'after' : 'before'}`);
          continue;
        }
        for (const c of FACT_COLS) {
          if (String(a[c]) !== String(b[c])) mismatches.push(`lead ${id} ${c}: generated ${a[c]} vs product ${b[c]}`);
        }
      }
      return { checked: ids.length, mismatches, perSec };
    } finally {
      await qr.rollbackTransaction();
      await qr.release();
    }
  } finally {
    await ds.destroy();
  }
}

// -------------------------------------------------------------------------------------------- server

interface Server {
  child: ChildProcess;
  port: number;
  base: string;
  output: () => string;
}

async function startServer(databaseUrl: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: ROOT,
    // Demo mode only for dev-login: the company already exists, so main.ts seeds nothing.
    env: { ...process.env, DATABASE_URL: databaseUrl, LIFELINE_DEMO: '1', LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const server: Server = { child, port, base: `http://127.0.0.1:${port}`, output: () => out };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited during startup (${child.exitCode ?? child.signalCode}):\n${out}`);
    try {
      if ((await fetch(`${server.base}/healthz`)).ok) return server;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not answer /healthz within 180 s:\n${out}`);
    await sleep(200);
  }
}

async function stopServer(s: Server | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  const t = setTimeout(() => s.child.kill('SIGKILL'), 6000);
  await exited;
  clearTimeout(t);
}

async function api<T = any>(s: Server, method: string, p: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(s.base + p, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

// ------------------------------------------------------------------------------------------ workload

const ENDPOINTS: { key: string; path: string }[] = [
  { key: 'kpis', path: '/api/metrics/kpis' },
  { key: 'lead-health', path: '/api/metrics/lead-health' },
  { key: 'rep-battle', path: '/api/metrics/rep-battle' },
  { key: 'channel-roi', path: '/api/metrics/channel-roi' },
  { key: 'journey-heat by city', path: '/api/metrics/journey-heat?by=city' },
  { key: 'journey-heat by unit', path: '/api/metrics/journey-heat?by=unit' },
  { key: 'drill', path: `/api/metrics/drill?node=${encodeURIComponent('方案提供')}&by=city&value=${encodeURIComponent('苏州')}` },
];

interface Kind {
  key: string;
  role: string;
  path: string;
  token: string;
}
interface MixedResult {
  label: string;
  rate: number;
  durationS: number;
  sent: number;
  ok: number;
  bad: number;
  errors: number;
  rps: number;
  all: LatencyStats;
  per: Map<string, LatencyStats>;
  sampleErrors: string[];
  dispatchLagP99: number;
}

/**
 * Open-loop load at a fixed arrival rate rotating over endpoint × role (request i dispatched at t0 + i/rate whatever the
 * earlier ones are doing, as bench-kit's pacedLoad), keeping each request's latency (dispatch → last byte) by kind.
 */
async function pacedMixed(s: Server, label: string, kinds: Kind[], rate: number, seconds: number): Promise<MixedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const lat = new Map<string, number[]>();
  const all: number[] = [];
  const lags: number[] = [];
  const sampleErrors: string[] = [];
  let ok = 0;
  let bad = 0;
  let errors = 0;
  let sent = 0;
  let inflight = 0;
  let lastDone = 0;
  const t0 = performance.now() + 20;
  const fire = () => {
    const k = kinds[sent % kinds.length];
    const scheduled = t0 + sent * interval;
    sent++;
    inflight++;
    const startedAt = performance.now();
    lags.push(startedAt - scheduled);
    let settled = false;
    const done = (code: number | null, body: string) => {
      if (settled) return;
      settled = true;
      inflight--;
      lastDone = performance.now();
      if (code === null || code < 200 || code >= 300) {
        if (code === null) errors++;
        else bad++;
        if (sampleErrors.length < 5) sampleErrors.push(`${k.role} ${k.key}: ${code} ${body.slice(0, 200)}`);
        return;
      }
      ok++;
      const ms = lastDone - startedAt;
      all.push(ms);
      const key = `${k.role} · ${k.key}`;
      lat.set(key, [...(lat.get(key) ?? []), ms]);
    };
    const r = http.request({ agent, host: '127.0.0.1', port: s.port, method: 'GET', path: k.path, headers: { authorization: `Bearer ${k.token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (e) => done(null, String(e)));
    });
    r.setTimeout(30_000, () => {
      done(null, 'timeout after 30 s');
      r.destroy();
    });
    r.on('error', (e) => done(null, String(e)));
    r.end();
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
      while (sent < due) fire();
      if (sent >= total) return resolve();
      setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now() - 0.5));
    };
    setTimeout(tick, 20);
  });
  const deadline = performance.now() + 35_000;
  while (inflight > 0 && performance.now() < deadline) await sleep(5);
  agent.destroy();
  const elapsed = ((lastDone || performance.now()) - t0) / 1000;
  const per = new Map([...lat].map(([k, v]) => [k, latencyStats(v)]));
  return {
    label,
    rate,
    durationS: round(elapsed, 1),
    sent,
    ok,
    bad,
    errors,
    rps: ok / elapsed,
    all: latencyStats(all),
    per,
    sampleErrors,
    dispatchLagP99: latencyStats(lags).p99,
  };
}

interface FreshResult {
  samples: number;
  stats: LatencyStats;
  polls: number[];
  failures: string[];
}

/**
 * A rep records the first follow-up on a lead that entered in the last days and was never contacted; the rep's own
 * KPIs (repId filter) are polled back to back until the 7-day survival numerator counts it and updatedAt has moved.
 * Latency = the 201 of the POST → the first KPI response that shows it.
 */
async function freshness(s: Server, targets: { token: string; repId: number; leadId: number }[], stopAt: () => boolean): Promise<FreshResult> {
  const lat: number[] = [];
  const polls: number[] = [];
  const failures: string[] = [];
  const salt = randomBytes(3).toString('hex');
  const kpis = (t: { token: string; repId: number }) => api(s, 'GET', `/api/metrics/kpis?repId=${t.repId}`, { token: t.token });
  for (const [i, t] of targets.entries()) {
    if (stopAt() && lat.length >= 30) break;
    try {
      const before = await kpis(t);
      const base = Number(before.kpis.survival7d.numerator);
      await api(s, 'POST', '/api/followups', {
        token: t.token,
        headers: { 'idempotency-key': `bench-fresh-${process.pid}-${salt}-${i}` },
        body: { leadId: t.leadId, action: '已电话沟通', conclusion: '家长想了解课程安排' },
      });
      const t201 = performance.now();
      const wall201 = Date.now();
      let n = 0;
      for (;;) {
        n++;
        const k = await kpis(t);
        if (Number(k.kpis.survival7d.numerator) > base && Number(k.updatedAt) >= wall201 - 5000) {
          lat.push(performance.now() - t201);
          polls.push(n);
          break;
        }
        if (performance.now() - t201 > 10_000) {
          failures.push(`lead ${t.leadId}: not visible after 10 s`);
          break;
        }
      }
    } catch (e) {
      failures.push(String(e).slice(0, 200));
    }
    await sleep(250);
  }
  return { samples: lat.length, stats: latencyStats(lat), polls, failures };
}

const ms1 = (v: number) => `${round(v)} ms`;

/** Freshness targets: never-contacted leads of the last 6 days, spread over reps (two each at most), with their rep's token. */
async function freshnessTargets(
  admin: mysql.Connection,
  dbName: string,
  companyId: number,
  tokenOf: (id: number) => Promise<string>,
): Promise<{ leadId: number; repId: number; token: string }[]> {
  const [cands] = (await admin.query(
    `SELECT f.leadId, f.ownerId FROM \`${dbName}\`.lead_fact f JOIN \`${dbName}\`.app_user u ON u.id = f.ownerId
      WHERE f.companyId = ? AND f.status = 'assigned' AND f.firstTouchAt IS NULL AND f.deletedAt IS NULL AND u.active = 1
        AND f.enteredAt >= ? ORDER BY f.enteredAt DESC LIMIT 2000`,
    [companyId, Date.now() - 6 * DAY],
  )) as any;
  const seen = new Map<number, number>();
  const picks: { leadId: number; repId: number }[] = [];
  for (const c of cands as { leadId: number; ownerId: number }[]) {
    if ((seen.get(c.ownerId) ?? 0) >= 2) continue;
    seen.set(c.ownerId, (seen.get(c.ownerId) ?? 0) + 1);
    picks.push({ leadId: Number(c.leadId), repId: Number(c.ownerId) });
    if (picks.length >= FRESH_SAMPLES) break;
  }
  const repTokens = new Map<number, string>();
  for (const p of picks) if (!repTokens.has(p.repId)) repTokens.set(p.repId, await tokenOf(p.repId));
  return picks.map((p) => ({ ...p, token: repTokens.get(p.repId)! }));
}

/** The docs/benchmarks.md section for a run. */
function metricsDoc(d: {
  ver: string;
  bufferPoolMb: number;
  idleBefore: number | null;
  disturbed: boolean;
  load30: MixedResult;
  worst30: number;
  p99Ok: boolean;
  fresh: Awaited<ReturnType<typeof freshness>>;
  freshOk: boolean;
  verify: Awaited<ReturnType<typeof verifyFacts>> | null;
  verifyOk: boolean;
  tot: { leads: unknown; followups: unknown };
  gen: { ms: number; counts: Record<string, number> } | null;
  c30: Record<string, number | null>;
  cYear: Record<string, number | null>;
  t30: (string | number)[][];
  tYear: (string | number)[][];
  loadYear: MixedResult;
  yearAgo: string;
  today: string;
  yearRate: number;
  yearSeconds: number;
  supervisor: string;
}): string {
  const { ver, bufferPoolMb, idleBefore, disturbed, load30, worst30, p99Ok, fresh, freshOk, verify, verifyOk, tot, gen, c30, cYear, t30, tYear } = d;
  const { loadYear, yearAgo, today, yearRate, yearSeconds, supervisor } = d;
  const cpuCell = (c: Record<string, number | null>) =>
    `server ${c.server ?? '?'}% · mariadbd ${c.mariadbd ?? '?'}% · bench ${c.loadgen ?? '?'}% · other ${c.otherPct ?? '?'}% (machine idle ${c.idlePct ?? '?'}%)`;
  const verdict = (ok: boolean) => (ok ? '**PASS**' : '**FAIL**');
  const c = gen?.counts;
  return [
    `Run: \`npm run bench:metrics${WRITE ? ' -- --write' : ''}\` on ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model?.trim() ?? 'cpu'} × ${os.availableParallelism()} (shared),`,
    `MariaDB ${ver} on loopback (buffer pool ${bufferPoolMb} MB), Node ${process.version}; one server process (main.ts) with its default pool.`,
    `Machine idle before the run: ${idleBefore ?? '?'}%.${disturbed ? ' **Disturbed**: other processes used more than ' + DISTURBED_OTHER_PCT + '% of a core meanwhile (see CPU).' : ''}`,
    '',
    `| target | measured | result |`,
    `| --- | --- | --- |`,
    `| dashboard API p99 ≤ ${TARGET.p99Ms} ms (default 30-day range, every endpoint) | overall ${ms1(load30.all.p99)}, worst endpoint ${ms1(worst30)} | ${verdict(p99Ok)} |`,
    `| new follow-up in the KPIs ≤ ${TARGET.freshMs} ms | p50 ${ms1(fresh.stats.p50)}, p99 ${ms1(fresh.stats.p99)}, max ${ms1(fresh.stats.max)} (${fresh.samples} samples) | ${verdict(freshOk)} |`,
    `| generated facts = product's refreshLeadFacts | ${verify ? `${verify.checked} random leads, ${verify.mismatches.length} differing values` : 'not checked'} | ${verdict(verifyOk)} |`,
    '',
    `**Data set**: ${Number(tot.leads).toLocaleString('en')} leads and ${Number(tot.followups).toLocaleString('en')} follow-ups` +
      (c
        ? ` (${c.events.toLocaleString('en')} journey events and as many stays, ${c.conversations.toLocaleString('en')} conversations, ${c.reps} reps in 3 teams), generated in **${round(gen!.ms / 1000)} s**`
        : ' (kept database reused)') +
      '.',
    '',
    `**Default range (last 30 days)**: ${RATE} req/s paced open loop for ${SECONDS} s, rotating over the 7 dashboard requests × 2 roles; ${load30.bad} non-2xx, ${load30.errors} errors. CPU: ${cpuCell(c30)}.`,
    '',
    mdTable(t30),
    '',
    `**One-year range** (${yearAgo} … ${today}; reported, not a target): ${yearRate} req/s for ${yearSeconds} s; ${loadYear.bad} non-2xx, ${loadYear.errors} errors. CPU: ${cpuCell(cYear)}.`,
    '',
    mdTable(tYear),
    '',
    'How it is measured:',
    `- A fresh database \`lifeline_test_bench_metrics_<pid>\` (dropped at the end): migrations, the demo company (2 centres, 3 teams; reps added in`,
    `  the same teams up to ${TOTAL_REPS}), then the leads spread evenly over the last 12 months, loaded with multi-row INSERTs (5,000 leads per`,
    '  transaction, 2 in flight): customer, lead, follow-ups (≈ 85% first call within 4 h, the rest 20–70 h), journey events and stays',
    '  (needs, material, objections, trials, signings with a course; losses along the way, stalled leads lost after a month), conversations',
    '  (most follow-ups come out of a chat that day), script counters, monthly channel spend, and one `lead_fact` row per lead.',
    '- The facts are computed by the bench from the generated rows with the same shared rules the product uses (profile completeness,',
    `  demand match, China-time day, journey index) and bulk-inserted, because the product's \`refreshLeadFacts\` projects a few hundred leads per transaction`,
    `  (${verify ? round(verify.perSec) : '?'} leads/s here, ≈ ${verify ? round(N / verify.perSec / 60) : '?'} min for ${N.toLocaleString('en')}). To show they are what the product computes, a random`,
    '  sample is recomputed by `refreshLeadFacts` in a rolled-back transaction and compared column by column.',
    '- The real server (main.ts; demo mode only for dev-login tokens) on loopback. Roles: the director (whole company) and the supervisor',
    `  ${supervisor} (her centre's subtree). Requests: kpis, lead-health, rep-battle, channel-roi, journey-heat by city and by unit, and`,
    "  drill (方案提供 × 苏州, first page), each with the dashboards' default range (channel-roi widens to whole months, as the product does).",
    '  Latency = dispatch → last byte, open loop (no coordinated omission); the warm-up (each request once) is not counted.',
    `- Freshness: while the load runs, a rep records the first follow-up on one of their never-contacted leads of the last 6 days`,
    '  (`POST /api/followups` with an Idempotency-Key), then polls `GET /api/metrics/kpis?repId=<self>` back to back until the 7-day',
    '  survival numerator counts the lead and `updatedAt` has moved: time from the 201 to the first response that shows it.',
    '  The facts are written by the projector after the follow-up commits (it polls every PROJECTOR_POLL_MS, default 100 ms), so this',
    "  is the projector's lag as a user sees it, plus the polling.",
    '- CPU is % of one core per process over the run; "other" is everything else on the (shared) machine meanwhile.',
    '- The bulk-loaded leads get no alarm timers or audit rows (not read by the dashboards).',
  ].join('\n');
}

/** A new database with the demo company and the generated year (or, with BENCH_DB, the kept one). */
async function prepareDataSet(
  admin: mysql.Connection,
  dbName: string,
  dbUrl: URL,
  where: string,
): Promise<{ gen: { ms: number; counts: Record<string, number> } | null; companyId: number }> {
  let gen: { ms: number; counts: Record<string, number> } | null = null;
  let companyId: number;
  if (!REUSE) {
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    log(`database ${dbName} on ${where}; generating ${N.toLocaleString('en')} leads …`);
    const ds = await createDataSource({ kind: 'mysql', url: dbUrl.toString() }, { poolSize: 4 }).initialize();
    const now = Date.now();
    try {
      await migrate(ds);
      await seedDemo(ds, { now, leads: 30 });
      // The demo leads' alarm timers, so the server's one-off timer backfill does not walk the bulk-loaded leads.
      await backfillTimers({ ds, tx: new Tx(ds), clock: { now: () => Date.now() } } as unknown as AppContext);
      const [c] = await ds.query('SELECT id FROM company LIMIT 1');
      companyId = Number(c.id);
    } finally {
      await ds.destroy();
    }
    gen = await generateDataSet(dbUrl.toString(), companyId, now);
    log(`generated in ${round(gen.ms / 1000)} s:`, JSON.stringify(gen.counts));
  } else {
    const [[c]] = (await admin.query(`SELECT id FROM \`${dbName}\`.company LIMIT 1`)) as any;
    companyId = Number(c.id);
  }
  return { gen, companyId };
}

/** The per-endpoint tables of both runs, printed with the freshness figures and the first errors. */
function printTables(
  keys: string[],
  load30: MixedResult,
  loadYear: MixedResult,
  fresh: Awaited<ReturnType<typeof freshness>>,
  yearRate: number,
): { t30: (string | number)[][]; tYear: (string | number)[][] } {
  const row = (r: MixedResult, k: string) => {
    const st = r.per.get(k);
    return st ? [k, st.count, ms1(st.p50), ms1(st.p90), ms1(st.p99), ms1(st.max)] : [k, 0, '-', '-', '-', '-'];
  };
  const head = ['endpoint (role)', 'requests', 'p50', 'p90', 'p99', 'max'];
  const overall = (r: MixedResult) => [`**all** (${round(r.rps)} req/s done)`, r.all.count, ms1(r.all.p50), ms1(r.all.p90), ms1(r.all.p99), ms1(r.all.max)];
  const t30 = [head, ...keys.map((k) => row(load30, k)), overall(load30)];
  const tYear = [head, ...keys.map((k) => row(loadYear, k)), overall(loadYear)];
  console.log(`\nDefault range (30 days), ${RATE} req/s paced, ${load30.sent} requests, ${load30.bad} non-2xx, ${load30.errors} errors`);
  console.log(textTable(t30));
  console.log(`\nOne-year range, ${yearRate} req/s paced, ${loadYear.sent} requests, ${loadYear.bad} non-2xx, ${loadYear.errors} errors`);
  console.log(textTable(tYear));
  console.log(
    `\nFreshness: ${fresh.samples} samples, p50 ${ms1(fresh.stats.p50)}, p99 ${ms1(fresh.stats.p99)}, max ${ms1(fresh.stats.max)}, polls per sample max ${Math.max(0, ...fresh.polls)}; failures ${fresh.failures.length}`,
  );
  for (const e of [...load30.sampleErrors, ...loadYear.sampleErrors, ...fresh.failures.slice(0, 5)]) log('  error:', e);
  return { t30, tYear };
}

/** The director and a supervisor (李静) signed in, a token for anyone, and the requests each role makes for a range. */
async function people(server: Server) {
  const adminTok = (await api(server, 'POST', '/api/auth/dev-login', { body: { role: 'admin' } })).token as string;
  const users = (await api(server, 'GET', '/api/users', { token: adminTok })).items as { id: number; name: string; role: string }[];
  const director = users.find((u) => u.role === 'director')!;
  const supervisor = users.find((u) => u.name === '李静') ?? users.find((u) => u.role === 'supervisor')!;
  const tokenOf = async (id: number) => (await api(server, 'POST', '/api/auth/dev-login', { body: { userId: id } })).token as string;
  const roles = [
    { role: `director ${director.name}`, token: await tokenOf(director.id) },
    { role: `supervisor ${supervisor.name}`, token: await tokenOf(supervisor.id) },
  ];
  const kindsFor = (range: string) =>
    roles.flatMap((r) =>
      ENDPOINTS.map((e) => ({
        key: e.key,
        role: r.role,
        token: r.token,
        path: `${e.path}${range ? (e.path.includes('?') ? '&' : '?') + range : ''}`,
      })),
    );
  return { supervisor, tokenOf, kindsFor };
}

async function main() {
  const started = performance.now();
  const base = baseUrl();
  const dbName = REUSE ?? `lifeline_test_bench_metrics_${process.pid}`;
  const admin = await mysql.createConnection(connOpts(base));
  let server: Server | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await stopServer(server).catch((e) => log('stop server:', e));
    if (!KEEP && !REUSE) await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch((e) => log('drop database:', e));
    else log(`kept database ${dbName} (BENCH_DB=${dbName} reuses it)`);
    await admin.end().catch(() => undefined);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    const [[ver]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
    const [vars] = (await admin.query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_buffer_pool_size')")) as unknown as [
      { Variable_name: string; Value: string }[],
    ];
    const bufferPoolMb = Math.round(Number(vars[0]?.Value ?? 0) / 1048576);
    const dbUrl = new URL(base.toString());
    dbUrl.pathname = `/${dbName}`;
    const { gen, companyId } = await prepareDataSet(admin, dbName, dbUrl, `${base.hostname}:${base.port || 3306} (${ver.v})`);
    const [[tot]] = (await admin.query(
      `SELECT (SELECT COUNT(*) FROM \`${dbName}\`.\`lead\`) AS leads, (SELECT COUNT(*) FROM \`${dbName}\`.followup) AS followups`,
    )) as any;
    const verify = VERIFY > 0 ? await verifyFacts(dbUrl.toString(), companyId, VERIFY) : null;
    if (verify) {
      log(`facts verified on ${verify.checked} random leads: ${verify.mismatches.length} mismatching values; refreshLeadFacts ${round(verify.perSec)} leads/s`);
      for (const m of verify.mismatches.slice(0, 10)) log('  ', m);
    }

    // Server and people.
    const tStart = performance.now();
    server = await startServer(dbUrl.toString());
    log(`server up in ${round((performance.now() - tStart) / 1000)} s on port ${server.port}`);
    const { supervisor, tokenOf, kindsFor } = await people(server);
    const targets = await freshnessTargets(admin, dbName, companyId, tokenOf);
    const repTokens = new Set(targets.map((t) => t.repId));
    log(`freshness targets: ${targets.length} leads of ${repTokens.size} reps`);

    // Warm-up: every endpoint once per role (also checks they answer 200).
    for (const k of kindsFor('')) await api(server, 'GET', k.path, { token: k.token });
    const procs = { server: server.child.pid ?? null, mariadbd: findPidByComm('mariadbd') ?? findPidByComm('mysqld'), loadgen: process.pid };
    const idleBefore = await machineIdlePct(1000);

    // 1. Default range (30 days) with freshness probes running alongside.
    log(`paced ${RATE} req/s for ${SECONDS} s, default range, with follow-ups posted meanwhile …`);
    let loadDone = false;
    const cpu30 = new CpuMeter(procs).begin();
    const [load30, fresh] = await Promise.all([
      pacedMixed(server, 'default 30-day range', kindsFor(''), RATE, SECONDS).finally(() => {
        loadDone = true;
      }),
      freshness(server, targets, () => loadDone),
    ]);
    const c30 = cpu30.end();
    log(
      `  p99 ${ms1(load30.all.p99)} over ${load30.ok} requests; freshness p50 ${ms1(fresh.stats.p50)} p99 ${ms1(fresh.stats.p99)} (${fresh.samples} samples); CPU`,
      JSON.stringify(c30),
    );

    // 2. One-year range (reported; the target is for the default dashboard range).
    const today = new Date(Date.now() + 8 * HOUR).toISOString().slice(0, 10);
    const yearAgo = new Date(Date.now() + 8 * HOUR - 364 * DAY).toISOString().slice(0, 10);
    const yearRate = Math.max(1, Math.round(RATE / 10));
    const yearSeconds = Math.max(10, Math.round((SECONDS * 2) / 3));
    log(`paced ${yearRate} req/s for ${yearSeconds} s, range ${yearAgo} … ${today} …`);
    const cpuYear = new CpuMeter(procs).begin();
    const loadYear = await pacedMixed(server, `1-year range`, kindsFor(`from=${yearAgo}&to=${today}`), yearRate, yearSeconds);
    const cYear = cpuYear.end();
    log(`  p99 ${ms1(loadYear.all.p99)} over ${loadYear.ok} requests; CPU`, JSON.stringify(cYear));

    // ---------------------------------------------------------------------------------------- report
    const keys = [...new Set(kindsFor('').map((k) => `${k.role} · ${k.key}`))];
    const { t30, tYear } = printTables(keys, load30, loadYear, fresh, yearRate);

    const worst30 = Math.max(...keys.map((k) => load30.per.get(k)?.p99 ?? Infinity));
    const p99Ok = load30.all.p99 <= TARGET.p99Ms && worst30 <= TARGET.p99Ms && load30.bad === 0 && load30.errors === 0;
    const freshOk = fresh.samples >= 30 && fresh.stats.p99 <= TARGET.freshMs && fresh.failures.length === 0;
    const verifyOk = verify ? verify.mismatches.length === 0 : true;
    const disturbed = Math.max(c30.otherPct ?? 0, cYear.otherPct ?? 0) > DISTURBED_OTHER_PCT;
    const body = metricsDoc({
      ver: ver.v,
      bufferPoolMb,
      idleBefore,
      disturbed,
      load30,
      worst30,
      p99Ok,
      fresh,
      freshOk,
      verify,
      verifyOk,
      tot,
      gen,
      c30,
      cYear,
      t30,
      tYear,
      loadYear,
      yearAgo,
      today,
      yearRate,
      yearSeconds,
      supervisor: supervisor.name,
    });
    console.log('\n' + body);
    log(`total ${round((performance.now() - started) / 1000)} s`);
    if (WRITE) writeDocSection(path.join(ROOT, 'docs/benchmarks.md'), 'bench:metrics', body, '# Benchmarks\n');
    if (!(p99Ok && freshOk && verifyOk)) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
