/**
 * Alarm engine benchmark on MariaDB/MySQL: `npm run bench:alarms` (writes its section of docs/benchmarks.md).
 *
 * A fresh database `lifeline_test_bench_alarms_<pid>` (dropped at the end) with the demo company, then open
 * leads bulk-loaded with their 48 h timers (not yet due). At 10,000 and at 1,000,000 leads (BENCH_LEADS):
 *   - idle tick: a tick with nothing due (the indexed due-timer query), median of 20;
 *   - 1,000 timers falling due at once while the engine's cron ticks every second, delivered through a
 *     real-HTTP fake WeCom: due → send latency per alarm copy (p50/p99; a copy coalesced into a digest counts at
 *     the digest's send);
 *   - another 1,000 due, ticked by hand: the tick cost (wall time to fire and deliver them).
 * Env: BENCH_MYSQL_URL (else TEST_MYSQL_URL, else the local lifeline user), BENCH_LEADS (default 1000000).
 */
import 'reflect-metadata';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/db/data-source';
import { migrate } from '../src/db/migrate';
import { seedDemo } from '../src/demo/seed';
import { createApp } from '../src/app';
import { AlarmEngine } from '../src/alarms';
import type { AppConfig } from '../src/config';
import { HttpFake } from '../../test/fakes/http-fake';
import { latencyStats, mdTable, round, sleep, writeDocSection } from './bench-kit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIG = Number(process.env.BENCH_LEADS ?? 1_000_000);
const DUE_TO_SEND_P99_MS = 3000;
const SMALL = 10_000;
const DUE = 1000;
/** The engine's tick interval during the latency run: the default ALARM_TICK_SECONDS. */
const TICK_S = 1;
const H = 3600_000;
const log = (...a: unknown[]) => console.error('[bench:alarms]', ...a);

/** A minimal WeCom for the bench: token + message/send (task ids unique) on loopback. */
class BenchWecom extends HttpFake {
  constructor() {
    super();
    let n = 0;
    this.route('GET', '/cgi-bin/gettoken', () => ({ json: { errcode: 0, access_token: 'bench-token', expires_in: 7200 } }));
    this.route('POST', '/cgi-bin/message/send', () => ({ json: { errcode: 0, errmsg: 'ok', msgid: `m${++n}`, response_code: `rc${n}` } }));
  }
}

async function main() {
  const raw = process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? 'mysql://lifeline:lifeline@127.0.0.1:3306/lifeline';
  const base = new URL(raw);
  const name = `lifeline_test_bench_alarms_${process.pid}`;
  const admin = await mysql.createConnection({
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const fake = await new BenchWecom().start();
  const ds = await createDataSource({ kind: 'mysql', url: url.toString() }, { poolSize: 12 }).initialize();
  try {
    await migrate(ds);
    const now0 = Date.now();
    await seedDemo(ds, { now: now0, leads: 30 });
    const config: AppConfig = {
      port: 0,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1',
      db: { kind: 'mysql', url: url.toString() },
      sessionSecret: 'bench-secret-0123456789',
      sessionTtlSeconds: 3600,
      demo: false,
      bodyLimit: '64kb',
      logLevel: 'silent',
      dingtalk: null,
      llm: null,
      wecom: { corpId: 'wwbench', agentId: 1, secret: 's', apiBase: fake.base },
    };
    const { ctx } = createApp({ config, ds });
    const [company] = await ds.query('SELECT id FROM company LIMIT 1');
    // Quiet hours off so the figures do not depend on the time of day the bench runs.
    await ds.query('UPDATE company SET settings = ? WHERE id = ?', [JSON.stringify({ alarms: { quietStart: '00:00', quietEnd: '00:00' } }), company.id]);
    await ds.query(`UPDATE app_user SET wecomUserId = CONCAT('u', id) WHERE companyId = ?`, [company.id]);
    const reps: { id: number; orgUnitId: number }[] = await ds.query(`SELECT id, orgUnitId FROM app_user WHERE role = 'rep' AND active = 1`);
    const [cust] = await ds.query('SELECT id FROM customer LIMIT 1');
    const engine = new AlarmEngine(ctx, { leaseMs: 60_000, batch: 400, parallel: 4 });
    await engine.tick(); // demo leads' own alarms out of the way

    const load = loader(url, reps, company.id, cust.id);
    const measure = measurer(ds, engine);
    await load(SMALL);
    const small = await measure(`${SMALL.toLocaleString('en')} leads`);
    await load(BIG);
    const big = await measure(`${BIG.toLocaleString('en')} leads`);
    const ok = writeDoc(small, big);
    if (!ok) process.exitCode = 1;
  } finally {
    await ds.destroy();
    await fake.stop();
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

/** Bulk-loads open leads with pending 48 h timers, up to a total; returns the loader (it remembers how many are in). */
function loader(url: URL, reps: { id: number; orgUnitId: number }[], companyId: number, customerId: number) {
  let loaded = 0;
  return async (upTo: number) => {
    const t = Date.now();
    const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 4 });
    const chunk = 5000;
    const work: Promise<void>[] = [];
    const insertChunk = async (from: number, to: number) => {
      const now = Date.now();
      const leads: unknown[][] = [];
      for (let i = from; i < to; i++) {
        const rep = reps[i % reps.length];
        const created = now - ((i * 7919) % (40 * H)); // within the last 40 h: their 48 h timers are not due
        leads.push([companyId, customerId, 'bench', rep.id, rep.orgUnitId, 'assigned', '线索获取', 0, '[]', created, created, created, now]);
      }
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        const [res] = await conn.query<mysql.ResultSetHeader>(
          'INSERT INTO `lead` (companyId, customerId, channel, ownerId, orgUnitId, status, journeyNode, score, scoreBreakdown, createdAt, assignedAt, claimedAt, updatedAt) VALUES ?',
          [leads],
        );
        const timers = leads.map((l, k) => [companyId, res.insertId + k, 'no_followup', (l[9] as number) + 48 * H, 'pending', now, now]);
        await conn.query('INSERT INTO alarm_timer (companyId, leadId, rule, dueAt, state, createdAt, updatedAt) VALUES ?', [timers]);
        await conn.commit();
      } finally {
        conn.release();
      }
    };
    for (let from = loaded; from < upTo; from += chunk) {
      work.push(insertChunk(from, Math.min(upTo, from + chunk)));
      if (work.length >= 4) await Promise.all(work.splice(0));
    }
    await Promise.all(work);
    await pool.end();
    log(`loaded ${upTo - loaded} leads + timers in ${round((Date.now() - t) / 1000)} s`);
    loaded = upTo;
  };
}

/** Idle tick cost, due→send latency under the running cron, and the cost of firing and delivering 1,000 by hand. */
function measurer(ds: DataSource, engine: AlarmEngine) {
  return async (label: string) => {
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await engine.tick();
      idle.push(performance.now() - t);
    }
    idle.sort((a, b) => a - b);
    // Latency under the running cron: 1,000 timers fall due about 3 s from now; the engine ticks every TICK_S seconds.
    // Bench setup (picking 1,000 timers, moving their leads' creation time) happens before the due time is set,
    // so it never counts as latency; only the final one-statement UPDATE of dueAt makes them due.
    const makeDue = async (leadMs: number) => {
      const picks: { id: number; leadId: number }[] = await ds.query(
        `SELECT id, leadId FROM alarm_timer WHERE state = 'pending' AND rule = 'no_followup' AND dueAt > ? LIMIT ${DUE}`,
        [Date.now() + H],
      );
      const ids = picks.map((p) => Number(p.id));
      const at = Date.now() + leadMs + 2000;
      await ds.query(`UPDATE \`lead\` SET createdAt = ? WHERE id IN (${picks.map((p) => Number(p.leadId)).join(',')})`, [at - 48 * H]);
      if (Date.now() > at - leadMs) log('warning: bench setup was slow; latency figures may include it');
      await ds.query(`UPDATE alarm_timer SET dueAt = ? WHERE id IN (${ids.join(',')})`, [at]);
      return { ids, at };
    };
    const copiesOf = async (ids: number[]): Promise<{ sentAt: string | null; digestSent: string | null }[]> =>
      ds.query(
        `SELECT m.sentAt, d.sentAt AS digestSent FROM alarm_message m JOIN alarm a ON a.id = m.alarmId
        LEFT JOIN alarm_message d ON d.id = m.digestId WHERE a.timerId IN (${ids.join(',')}) AND m.kind = 'card'`,
      );
    engine.start(TICK_S, (err) => log('tick failed', err));
    const { ids, at: dueAt } = await makeDue(1000);
    for (;;) {
      await sleep(250);
      const rows = await copiesOf(ids);
      if ((rows.length >= DUE * 3 && rows.every((r) => r.sentAt ?? r.digestSent)) || Date.now() - dueAt > 60_000) break;
    }
    await engine.stop();
    const rows = await copiesOf(ids);
    const lat = rows.map((r) => Number(r.sentAt ?? r.digestSent) - dueAt);
    const missing = rows.filter((r) => !(r.sentAt ?? r.digestSent)).length;
    // Tick cost: another 1,000 due now, ticked by hand until all are fired and delivered.
    const { ids: costIds, at: costAt } = await makeDue(0);
    await sleep(Math.max(0, costAt - Date.now()));
    const t0 = performance.now();
    let ticks = 0;
    for (;;) {
      ticks++;
      const s = await engine.tick();
      if (s.fired + s.sent + s.failed + s.retried === 0) break;
    }
    const tickMs = performance.now() - t0;
    const costMissing = (await copiesOf(costIds)).filter((r) => !(r.sentAt ?? r.digestSent)).length;
    const [{ n: alarms }] = await ds.query(`SELECT COUNT(*) AS n FROM alarm WHERE timerId IN (${ids.join(',')})`);
    const st = latencyStats(lat);
    log(
      `${label}: idle tick median ${round(idle[10], 2)} ms; ${alarms} alarms, ${rows.length} copies, p50 ${round(st.p50)} ms p99 ${round(st.p99)} ms; fire+deliver ${round(tickMs)} ms in ${ticks} ticks; undelivered ${missing + costMissing}`,
    );
    return {
      label,
      idle: idle[10],
      alarms: Number(alarms),
      copies: rows.length,
      p50: st.p50,
      p99: st.p99,
      max: st.max,
      tickMs,
      missing: missing + costMissing,
    };
  };
}

type Measured = Awaited<ReturnType<ReturnType<typeof measurer>>>;

/** Writes the figures into docs/benchmarks.md; true when the targets are met. */
function writeDoc(small: Measured, big: Measured): boolean {
  const ratioIdle = big.idle / small.idle;
  const ratioTick = big.tickMs / small.tickMs;
  // Issue 15: due → send p99 ≤ 3 s at 1,000,000 open leads (no regression when timers moved to the projector).
  const ok = big.p99 <= DUE_TO_SEND_P99_MS && ratioTick <= 1.5 && big.missing === 0 && small.missing === 0;
  const table = mdTable([
    ['open leads', 'idle tick (median)', 'alarms fired', 'card copies', 'due→send p50', 'due→send p99', 'tick cost: fire + deliver 1,000'],
    ...[small, big].map((r) => [r.label, `${round(r.idle, 2)} ms`, r.alarms, r.copies, `${round(r.p50)} ms`, `${round(r.p99)} ms`, `${round(r.tickMs)} ms`]),
  ]);
  const body = `Run: \`npm run bench:alarms\` on ${new Date().toISOString().slice(0, 10)} (MariaDB on loopback, 2 shared cores, one engine process ticking every ${TICK_S} s (the default), fake WeCom over HTTP on loopback).

${table}

- Targets: due→send p99 ≤ ${DUE_TO_SEND_P99_MS / 1000} s with ${BIG.toLocaleString('en')} open leads — **${big.p99 <= DUE_TO_SEND_P99_MS ? 'met' : 'NOT met'}** (${round(big.p99)} ms);
tick cost at ${BIG.toLocaleString('en')} leads within 1.5× of ${SMALL.toLocaleString('en')} — **${ratioTick <= 1.5 ? 'met' : 'NOT met'}** (fire+deliver ×${round(ratioTick, 2)}, idle tick ×${round(ratioIdle, 2)}).
- due→send: 1,000 timers fall due at once while the cron runs; the time from the due time to the moment the send call
returned (a row's \`sentAt\`), so it includes waiting for the next tick. Tick cost: another 1,000 due, ticked by hand.
- Each alarm goes to the rep, their supervisor and the ops head (3 copies). Bursts to one person are coalesced into a digest
(more than 5 cards per dispatch, per-member limit 25/min); a coalesced copy counts at its digest's send.
- The tick reads only \`alarm_timer\` rows with \`state='pending' AND dueAt <= now\` (index \`idx_alarm_timer_due\`), so its cost follows the due timers, not the leads.`;
  console.log(body);
  writeDocSection(path.join(ROOT, 'docs/benchmarks.md'), 'bench:alarms', body, '# Benchmarks\n');
  return ok;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
