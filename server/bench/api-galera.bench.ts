/**
 * `npm run bench:api -- --galera` (`--write` updates docs/benchmarks.md): the API on the 3-node Galera cluster of
 * scripts/galera-up.sh behind the HAProxy of scripts/galera-lb.sh.
 *
 * 1. Physical baseline, same run: raw single-row INSERTs (autocommit) into a scratch table through the load balancer,
 *    GALERA_CONCURRENCY (24) at a time for GALERA_SECONDS (20) — what the cluster itself commits per second.
 * 2. Throughput with 1, 2 and 3 server processes (server k through the port that prefers node k): follow-up saves by
 *    the demo reps, closed loop, the same concurrency and time, spread round-robin over the servers.
 * 3. The stall a node death causes: 3 servers under a paced load of GALERA_STALL_RATE (40) saves/s; node 2 SIGKILLed
 *    at 10 s, brought back (IST) after 20 s; per-second latency, the longest wait, and every non-2xx answer.
 */
import 'reflect-metadata';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { createDataSource } from '../src/db/data-source';
import { seedDemoIfEmpty } from '../src/demo/seed';
import { LB_PORTS, galeraUp, killNode, runScript, urlAt } from './galera-kit';
import {
  benchApi,
  latencyStats,
  mdTable,
  migrateOnce,
  mysqlConnOptions,
  round,
  sleep,
  startServerChild,
  textTable,
  writeDocSection,
  type LatencyStats,
  type ServerChild,
} from './bench-kit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const CONCURRENCY = Number(process.env.GALERA_CONCURRENCY ?? 24);
const SECONDS = Number(process.env.GALERA_SECONDS ?? 20);
const STALL_RATE = Number(process.env.GALERA_STALL_RATE ?? 40);
const STALL_SECONDS = 45;
const KILL_AT_S = 10;
const NODE_DOWN_MS = 20_000;
const log = (...a: unknown[]) => console.error('[bench:api --galera]', ...a);

interface Rep {
  token: string;
  leads: number[];
}

interface Round {
  label: string;
  servers: number;
  completed: number;
  perSecond: number;
  errors: number;
  latency: LatencyStats;
  ratio: number;
}

let keySeq = 0;
function saveRequest(rep: Rep): { path: string; body: unknown; key: string } {
  const leadId = rep.leads[Math.floor(Math.random() * rep.leads.length)];
  const key = `gal-${process.pid}-${keySeq++}`;
  return { path: '/api/followups', body: { leadId, action: '已电话沟通', conclusion: `集群压测 ${keySeq}` }, key };
}

async function post(base: string, token: string, p: string, body: unknown, key: string): Promise<number> {
  const r = await fetch(base + p, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  await r.arrayBuffer();
  return r.status;
}

/** `work(i)` by CONCURRENCY workers for SECONDS: completions per second, latency, failures. */
async function closedLoop(work: (i: number) => Promise<boolean>): Promise<{ completed: number; errors: number; lat: number[]; seconds: number }> {
  const lat: number[] = [];
  let errors = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const ok = await work(i++).catch(() => false);
        if (ok) lat.push(performance.now() - t);
        else errors++;
      }
    }),
  );
  return { completed: lat.length, errors, lat, seconds: (performance.now() - t0) / 1000 };
}

async function baseline(dbName: string): Promise<Round> {
  const pool = mysql.createPool({ ...mysqlConnOptions(new URL(urlAt(LB_PORTS[0], dbName)), dbName), connectionLimit: CONCURRENCY });
  try {
    await pool.query('CREATE TABLE bench_raw (id BIGINT AUTO_INCREMENT PRIMARY KEY, k VARCHAR(64), at BIGINT) ENGINE=InnoDB');
    const r = await closedLoop(async (i) => {
      await pool.query('INSERT INTO bench_raw (k, at) VALUES (?, ?)', [`raw-${i}`, Date.now()]);
      return true;
    });
    await pool.query('DROP TABLE bench_raw');
    return {
      label: 'raw INSERT (baseline)',
      servers: 0,
      completed: r.completed,
      perSecond: round(r.completed / r.seconds, 0),
      errors: r.errors,
      latency: latencyStats(r.lat),
      ratio: 1,
    };
  } finally {
    await pool.end();
  }
}

async function startServers(n: number, dbName: string): Promise<ServerChild[]> {
  const out: ServerChild[] = [];
  for (let k = 0; k < n; k++) out.push(await startServerChild(ROOT, urlAt(LB_PORTS[k], dbName), { LIFELINE_DEMO: '1' }));
  return out;
}

async function stopServers(servers: ServerChild[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((r) => {
          if (s.child.exitCode !== null) return r();
          s.child.once('exit', () => r());
          s.child.kill('SIGTERM');
        }),
    ),
  );
}

async function loadReps(base: string, db: mysql.Pool): Promise<Rep[]> {
  const [rows] = (await db.query(
    "SELECT u.id, GROUP_CONCAT(l.id) AS leads FROM app_user u JOIN `lead` l ON l.ownerId = u.id AND l.deletedAt IS NULL WHERE u.role = 'rep' AND u.active = 1 GROUP BY u.id",
  )) as any;
  const reps: Rep[] = [];
  for (const r of rows) {
    const { token } = await benchApi<{ token: string }>(base, 'POST', '/api/auth/dev-login', undefined, { userId: Number(r.id) });
    reps.push({ token, leads: String(r.leads).split(',').map(Number) });
  }
  return reps;
}

async function throughput(servers: ServerChild[], reps: Rep[], raw: Round): Promise<Round> {
  const r = await closedLoop(async (i) => {
    const s = servers[i % servers.length];
    const rep = reps[i % reps.length];
    const req = saveRequest(rep);
    const status = await post(s.base, rep.token, req.path, req.body, req.key);
    return status === 201;
  });
  const perSecond = round(r.completed / r.seconds, 0);
  return {
    label: `follow-up saves, ${servers.length} server${servers.length > 1 ? 's' : ''}`,
    servers: servers.length,
    completed: r.completed,
    perSecond,
    errors: r.errors,
    latency: latencyStats(r.lat),
    ratio: round(perSecond / raw.perSecond, 2),
  };
}

interface Stall {
  sent: number;
  ok: number;
  statuses: Record<string, number>;
  longestMs: number;
  longestAtS: number;
  rejoinMs: number;
  timeline: number[][];
}

/** Paced saves on 3 servers; node 2 killed at KILL_AT_S and brought back NODE_DOWN_MS later. */
async function nodeDeathStall(servers: ServerChild[], reps: Rep[]): Promise<Stall> {
  const samples: { at: number; ms: number; status: number }[] = [];
  const t0 = Date.now();
  const running: Promise<void>[] = [];
  let rejoinMs = 0;
  const chaos: Promise<void> = (async () => {
    await sleep(KILL_AT_S * 1000);
    log('SIGKILL database node 2');
    await killNode(1);
    await sleep(NODE_DOWN_MS);
    rejoinMs = (await runScript(ROOT, 'galera-up.sh')).ms;
    log(`node 2 back (galera-up.sh ${rejoinMs} ms)`);
  })().catch((err) => {
    rejoinMs = -1;
    log('node kill/rejoin failed:', err);
  });
  for (let n = 0; n < STALL_RATE * STALL_SECONDS; n++) {
    const due = t0 + (n * 1000) / STALL_RATE;
    if (Date.now() < due) await sleep(due - Date.now());
    const s = servers[n % servers.length];
    const rep = reps[n % reps.length];
    const req = saveRequest(rep);
    const at = Date.now();
    running.push(
      (async () => {
        // Like the sidebar's outbox: a request with no answer (its server died) or a 503 is sent again with its key.
        let status = 0;
        for (let attempt = 0; attempt < 5 && (status === 0 || status === 503); attempt++) {
          status = await post(s.base, rep.token, req.path, req.body, req.key).catch(() => 0);
          if (status === 0 || status === 503) await sleep(1000);
        }
        samples.push({ at: at - t0, ms: Date.now() - at, status });
      })(),
    );
  }
  await Promise.all(running);
  await chaos;
  const statuses: Record<string, number> = {};
  for (const x of samples) statuses[x.status] = (statuses[x.status] ?? 0) + 1;
  const longest = samples.reduce((a, b) => (b.ms > a.ms ? b : a), samples[0]);
  const timeline: number[][] = [];
  for (let sec = 0; sec < STALL_SECONDS; sec++) {
    const xs = samples.filter((x) => Math.floor(x.at / 1000) === sec).map((x) => x.ms);
    const st = latencyStats(xs);
    timeline.push([sec, xs.length, round(st.p50, 0), round(st.max, 0)]);
  }
  return {
    sent: samples.length,
    ok: samples.filter((x) => x.status === 201).length,
    statuses,
    longestMs: round(longest.ms, 0),
    longestAtS: round(longest.at / 1000, 1),
    rejoinMs,
    timeline,
  };
}

function report(rounds: Round[], stall: Stall, meta: { version: string; startedAt: Date; elapsedS: number; load: number[] }): string[] {
  const table = [
    ['what', 'servers', 'completed', 'per second', 'ratio to raw INSERT', 'errors', 'p50 ms', 'p99 ms', 'max ms'],
    ...rounds.map((r) => [
      r.label,
      r.servers,
      r.completed,
      r.perSecond,
      r.ratio,
      r.errors,
      round(r.latency.p50, 1),
      round(r.latency.p99, 1),
      round(r.latency.max, 0),
    ]),
  ];
  const slow = stall.timeline.filter((t) => t[3] > 1000);
  return [
    `Last run: ${meta.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, took ${meta.elapsedS} s. Machine: ${os.availableParallelism()} CPUs, Node ${process.version},`,
    `MariaDB ${meta.version} × 3 nodes + HAProxy + the servers + the load generator on the same CPUs; load average before / after ${meta.load.join(' / ')}.`,
    '',
    `Closed loop, ${CONCURRENCY} requests in flight for ${SECONDS} s each:`,
    '',
    mdTable(table),
    '',
    `Node death: 3 servers, ${STALL_RATE} saves/s offered for ${STALL_SECONDS} s, node 2 SIGKILLed at ${KILL_AT_S} s and back by IST ${NODE_DOWN_MS / 1000} s later`,
    `(galera-up.sh ${stall.rejoinMs} ms). ${stall.ok} of ${stall.sent} saves answered 201 (statuses ${JSON.stringify(stall.statuses)}, a request`,
    `with no answer or a 503 resent with its key after 1 s, as the sidebar does). Longest client wait ${stall.longestMs} ms, for a save sent at`,
    `${stall.longestAtS} s. Seconds whose slowest save waited over 1 s: ${slow.map((t) => `${t[0]} s (${t[3]} ms)`).join(', ') || 'none'}.`,
    '',
    mdTable([['second', 'saves sent', 'p50 ms', 'max ms'], ...stall.timeline]),
  ];
}

export async function galeraApiBench(): Promise<void> {
  const startedAt = new Date();
  const t0 = performance.now();
  log('Galera cluster and HAProxy …');
  await galeraUp(ROOT);
  const dbName = `lifeline_test_apig_${process.pid}`;
  const admin = await mysql.createConnection(mysqlConnOptions(new URL(urlAt(LB_PORTS[0], 'lifeline'))));
  let servers: ServerChild[] = [];
  let db: mysql.Pool | undefined;
  try {
    const [[ver]] = (await admin.query('SELECT VERSION() AS v')) as any;
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const url = urlAt(LB_PORTS[0], dbName);
    await migrateOnce(ROOT, url);
    const ds = await createDataSource({ kind: 'mysql', url }, { poolSize: 2 }).initialize();
    await seedDemoIfEmpty(ds, { history: true });
    await ds.destroy();
    db = mysql.createPool({ ...mysqlConnOptions(new URL(url), dbName), connectionLimit: 2 });
    const load = [round(os.loadavg()[0], 1)];
    log('baseline: raw INSERTs …');
    const raw = await baseline(dbName);
    const rounds: Round[] = [raw];
    let reps: Rep[] = [];
    for (const n of [1, 2, 3]) {
      servers = await startServers(n, dbName);
      if (!reps.length) reps = await loadReps(servers[0].base, db);
      log(`${n} server(s): closed loop …`);
      rounds.push(await throughput(servers, reps, raw));
      if (n < 3) {
        await stopServers(servers);
        servers = [];
      }
    }
    log('node death under load …');
    const stall = await nodeDeathStall(servers, reps);
    load.push(round(os.loadavg()[0], 1));
    const lines = report(rounds, stall, { version: ver.v, startedAt, elapsedS: round((performance.now() - t0) / 1000, 0), load });
    console.log(
      textTable([
        ['what', 'servers', 'per second', 'ratio', 'p99 ms'],
        ...rounds.map((r) => [r.label, r.servers, r.perSecond, r.ratio, round(r.latency.p99, 1)]),
      ]),
    );
    console.log(lines.slice(-5, -2).join('\n'));
    if (WRITE) {
      const body = ['Command: `npm run bench:api -- --galera --write`. Source: `server/bench/api-galera.bench.ts`.', '', ...lines].join('\n');
      writeDocSection(path.join(ROOT, 'docs/benchmarks.md'), 'bench:api on a Galera cluster', body, '# Benchmarks\n');
      log('docs/benchmarks.md updated');
    }
    if (stall.ok !== stall.sent || rounds.some((r) => r.errors)) process.exitCode = 1;
  } finally {
    await stopServers(servers).catch(() => undefined);
    await db?.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
}
