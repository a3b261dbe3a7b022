/**
 * Small helpers for the HTTP/database benchmarks (server/bench/*.bench.ts): latency statistics, an
 * evenly paced open-loop load generator, a typed wrapper around autocannon's programmatic API,
 * process CPU accounting from /proc, MariaDB status counters, and the docs/benchmarks.md section writer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';

// ---------------------------------------------------------------------------------------------- stats

export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Exact percentiles (nearest-rank) over all samples, in the samples' unit (ms here). */
export function latencyStats(samples: number[]): LatencyStats {
  if (!samples.length) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const s = Float64Array.from(samples).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  let sum = 0;
  for (const v of s) sum += v;
  return { count: s.length, mean: sum / s.length, p50: at(50), p90: at(90), p99: at(99), max: s[s.length - 1] };
}

export const round = (n: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------- paced open-loop load

export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  label: string;
  durationS: number;
  sent: number;
  completed: number;
  rps: number;
  status: Record<string, number>;
  non2xx: number;
  errors: number;
  latency: LatencyStats;
  /** How late the generator dispatched a request vs its schedule (ms): shows the load generator kept up. */
  dispatchLagP99: number;
  sampleErrors: string[];
  /** Paced runs: per second of dispatch time, [requests, p50, p99, max] latency (ms) — shows stalls. */
  timeline?: number[][];
}

const REQUEST_TIMEOUT_MS = 10_000;

export interface PacedLoadOptions {
  label: string;
  host: string;
  port: number;
  rate: number;
  durationS: number;
  maxSockets?: number;
  next: () => BenchRequest;
  expectStatus?: number;
}

/**
 * Open-loop load at a fixed arrival rate: request i is dispatched at t0 + i/rate regardless of how
 * earlier ones are doing (no coordinated omission, no per-second bursts), over a keep-alive pool.
 * Latency = dispatch → last byte of the response.
 */
export async function pacedLoad(opts: PacedLoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  const total = Math.round(opts.rate * opts.durationS);
  const intervalMs = 1000 / opts.rate;
  const latencies: number[] = [];
  const bySecond: number[][] = [];
  const lags: number[] = [];
  const status: Record<string, number> = {};
  const sampleErrors: string[] = [];
  let completed = 0;
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  let inflight = 0;
  let lastDone = 0;
  const t0 = performance.now() + 20;

  const fire = () => {
    const req = opts.next();
    const scheduled = t0 + sent * intervalMs;
    sent++;
    inflight++;
    const started = performance.now();
    lags.push(started - scheduled);
    let settled = false;
    const done = (code: number | null, err?: string) => {
      if (settled) return;
      settled = true;
      inflight--;
      lastDone = performance.now();
      if (code === null) {
        errors++;
        if (sampleErrors.length < 5 && err) sampleErrors.push(err);
        return;
      }
      completed++;
      status[code] = (status[code] ?? 0) + 1;
      const ok = opts.expectStatus ? code === opts.expectStatus : code >= 200 && code < 300;
      if (!ok) non2xx++;
      else {
        latencies.push(lastDone - started);
        (bySecond[Math.floor((started - t0) / 1000)] ??= []).push(lastDone - started);
      }
    };
    const r = http.request({ agent, host: opts.host, port: opts.port, method: req.method, path: req.path, headers: req.headers }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if ((code < 200 || code >= 300) && sampleErrors.length < 5) {
          sampleErrors.push(`${code} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`);
        }
        done(code);
      });
      res.on('error', (e) => done(null, String(e)));
    });
    // Like autocannon's default: a request unanswered after 10 s counts as an error, not as a latency sample.
    r.setTimeout(REQUEST_TIMEOUT_MS, () => {
      done(null, `timeout after ${REQUEST_TIMEOUT_MS} ms`);
      r.destroy();
    });
    r.on('error', (e) => done(null, String(e)));
    r.end(req.body);
  };

  await pace(total, intervalMs, t0, () => sent, fire);
  // Every request settles by its own timeout; the deadline only guards against a bug.
  const drainDeadline = performance.now() + REQUEST_TIMEOUT_MS + 5_000;
  while (inflight > 0 && performance.now() < drainDeadline) await sleep(5);
  errors += inflight;
  agent.destroy();
  return loadResult(opts.label, t0, { lastDone, sent, completed, status, non2xx, errors, latencies, lags, sampleErrors, bySecond });
}

/** Calls `fire` on schedule (one request every `intervalMs` from t0) until `total` are sent. */
function pace(total: number, intervalMs: number, t0: number, sent: () => number, fire: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - t0) / intervalMs) + 1);
      while (sent() < due) fire();
      if (sent() >= total) return resolve();
      const nextAt = t0 + sent() * intervalMs;
      setTimeout(tick, Math.max(0, nextAt - performance.now() - 0.5));
    };
    setTimeout(tick, 20);
  });
}

function loadResult(
  label: string,
  t0: number,
  r: {
    lastDone: number;
    sent: number;
    completed: number;
    status: Record<string, number>;
    non2xx: number;
    errors: number;
    latencies: number[];
    lags: number[];
    sampleErrors: string[];
    bySecond: number[][];
  },
): LoadResult {
  const elapsed = ((r.lastDone || performance.now()) - t0) / 1000;
  return {
    label,
    durationS: round(elapsed, 2),
    sent: r.sent,
    completed: r.completed,
    rps: r.completed / elapsed,
    status: r.status,
    non2xx: r.non2xx,
    errors: r.errors,
    latency: latencyStats(r.latencies),
    dispatchLagP99: latencyStats(r.lags).p99,
    sampleErrors: r.sampleErrors,
    timeline: Array.from(r.bySecond, (xs = []) => {
      const st = latencyStats(xs);
      return [st.count, round(st.p50), round(st.p99), round(st.max)];
    }),
  };
}

// --------------------------------------------------------------------------------------- autocannon

/** The parts of autocannon's programmatic API used here (the package ships no types). */
interface AcRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AcRequest, context: Record<string, unknown>) => AcRequest;
}
interface AcOptions {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  pipelining?: number;
  timeout?: number;
  requests: AcRequest[];
}
interface AcHist {
  mean: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}
interface AcResult {
  duration: number;
  latency: AcHist;
  requests: AcHist & { total: number; sent: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}
type Autocannon = (opts: AcOptions) => Promise<AcResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/**
 * Closed-loop load with autocannon (each connection sends its next request when the previous answers).
 * Every request is rebuilt by `next()`, so idempotency keys and ids vary per request.
 */
export async function autocannonLoad(opts: {
  label: string;
  url: string;
  connections: number;
  durationS: number;
  overallRate?: number;
  next: () => BenchRequest;
  expectStatus?: number;
}): Promise<LoadResult> {
  const res = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    overallRate: opts.overallRate,
    timeout: 10,
    requests: [
      {
        setupRequest: (req) => {
          const n = opts.next();
          return { ...req, method: n.method, path: n.path, headers: n.headers, body: n.body };
        },
      },
    ],
  });
  const status: Record<string, number> = {};
  for (const [code, s] of Object.entries(res.statusCodeStats ?? {})) status[code] = s.count;
  const completed = Object.values(status).reduce((a, b) => a + b, 0);
  const bad = opts.expectStatus ? completed - (status[opts.expectStatus] ?? 0) : res.non2xx;
  return {
    label: opts.label,
    durationS: res.duration,
    sent: res.requests.sent,
    completed,
    rps: completed / res.duration,
    status,
    non2xx: bad,
    errors: res.errors + res.timeouts,
    latency: { count: completed, mean: res.latency.mean, p50: res.latency.p50, p90: res.latency.p90, p99: res.latency.p99, max: res.latency.max },
    dispatchLagP99: 0,
    sampleErrors: [],
  };
}

// ------------------------------------------------------------------------------------------ database

/** The MariaDB/MySQL server the benches use: BENCH_MYSQL_URL, else TEST_MYSQL_URL, else the local dev server. */
export function benchMysqlUrl(): URL {
  const raw = process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? 'mysql://lifeline:lifeline@127.0.0.1:3306/lifeline';
  const u = new URL(raw.replace(/^mariadb:/, 'mysql:'));
  if (u.protocol !== 'mysql:') throw new Error(`BENCH_MYSQL_URL must be mysql://…, got ${u.protocol}`);
  return u;
}

/** mysql2 connection options for that server (only host/port/user/password of the URL are used). */
export function mysqlConnOptions(u: URL, database?: string) {
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database,
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: false,
  };
}

// ------------------------------------------------------------------------------------ process / host

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks

/** CPU time (ms, user+system) a process has used so far, from /proc; null when unreadable. */
function procCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime
  } catch {
    return null;
  }
}

/** First process whose command name is `comm` (e.g. the local mariadbd), for CPU accounting only. */
export function findPidByComm(comm: string): number | null {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) return Number(d);
    } catch {
      /* gone or unreadable */
    }
  }
  return null;
}

/** Whole-machine CPU split from /proc/stat (jiffies): busy, iowait, steal (time the hypervisor gave to others). */
function readStat(): number[] | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]; // "cpu  user nice system idle iowait irq softirq steal …"
    return line.trim().split(/\s+/).slice(1, 9).map(Number);
  } catch {
    return null;
  }
}

/** The machine's idle share over `ms` (0–100), to warn when something else is loading the box. */
export async function machineIdlePct(ms = 1000): Promise<number | null> {
  const a = readStat();
  await sleep(ms);
  const b = readStat();
  if (!a || !b) return null;
  const d = b.map((v, i) => v - a[i]);
  return round((d[3] / (d.reduce((x, y) => x + y, 0) || 1)) * 100, 0);
}

/** CPU used by a set of processes over a measured window, as % of one core; plus the machine's idle/iowait/steal %. */
export class CpuMeter {
  private start = new Map<string, number | null>();
  private stat0: number[] | null = null;
  private t0 = 0;
  constructor(private readonly procs: Record<string, number | null>) {}
  begin(): this {
    this.t0 = performance.now();
    for (const [name, pid] of Object.entries(this.procs)) this.start.set(name, this.read(pid));
    this.stat0 = readStat();
    return this;
  }
  end(): Record<string, number | null> {
    const wall = performance.now() - this.t0;
    const out: Record<string, number | null> = {};
    for (const [name, pid] of Object.entries(this.procs)) {
      const a = this.start.get(name);
      const b = this.read(pid);
      out[name] = a == null || b == null ? null : round(((b - a) / wall) * 100, 0);
    }
    const stat1 = readStat();
    if (this.stat0 && stat1) {
      const d = stat1.map((v, i) => v - this.stat0![i]);
      const total = d.reduce((x, y) => x + y, 0) || 1;
      out.idlePct = round((d[3] / total) * 100, 0);
      out.iowaitPct = round((d[4] / total) * 100, 0);
      out.stealPct = round((d[7] / total) * 100, 0);
      // Everything else that ran meanwhile (other builds/tests on the box), in % of one core like the processes.
      const busyCores = ((total - d[3] - d[4] - d[7]) / total) * os.availableParallelism() * 100;
      const ours = Object.keys(this.procs).reduce((n, k) => n + (out[k] ?? 0), 0);
      out.otherPct = Math.max(0, round(busyCores - ours, 0));
    }
    return out;
  }
  private read(pid: number | null): number | null {
    if (pid === process.pid) {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
    return pid == null ? null : procCpuMs(pid);
  }
}

// ---------------------------------------------------------------------------------------- markdown

/**
 * Replaces the `## <heading>` section of a markdown file (up to the next `## ` heading) with `body`,
 * appending it when absent and creating the file with `intro` when missing. Other sections are kept.
 */
export function writeDocSection(file: string, heading: string, body: string, intro: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : intro.trimEnd() + '\n';
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  const section = [`## ${heading}`, '', ...body.trim().split('\n'), ''];
  let next: string[];
  if (start < 0) {
    next = [...lines.slice(0, lines.length - (lines.at(-1) === '' ? 1 : 0)), '', ...section];
  } else {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end < 0) end = lines.length;
    next = [...lines.slice(0, start), ...section, ...lines.slice(end)];
  }
  fs.writeFileSync(
    file,
    next
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .replace(/\n*$/, '\n'),
  );
}

/** Fixed-width text table for the console. */
export function textTable(rows: (string | number)[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')).join('\n');
}

/** Markdown table; first row is the header. */
export function mdTable(rows: (string | number)[][]): string {
  const [head, ...rest] = rows;
  const line = (r: (string | number)[]) => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rest.map(line)].join('\n');
}

// ------------------------------------------------------------------------------------- the server under test

export interface ServerChild {
  child: ChildProcess;
  base: string;
  port: number;
  out: () => string;
}

/**
 * `npm run migrate` against `databaseUrl` (what an operator runs once before starting servers): main.ts migrates only
 * the embedded SQLite file and refuses to start on a MySQL schema that is behind (docs/operations.md).
 */
export async function migrateOnce(root: string, databaseUrl: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/db/migrate-cli.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', LIFELINE_DEMO: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => void (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => void (out += b.toString('utf8')));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`npm run migrate failed (${code}):\n${out.slice(-4000)}`);
}

/**
 * The real server (server/src/main.ts, demo mode) as a child process on a free port, once /healthz answers.
 * BENCH_PROFILE=<dir>: it writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
 */
export async function startServerChild(root: string, databaseUrl: string, env: Record<string, string> = {}): Promise<ServerChild> {
  if (databaseUrl.startsWith('mysql:')) await migrateOnce(root, databaseUrl);
  const port = await freePort();
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LIFELINE_DEMO: '1', LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => void (out = (out + b.toString('utf8')).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited during startup:\n${out}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return { child, base, port, out: () => out };
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    await sleep(300);
  }
}

/** One JSON API call of a bench (a session token optional); a non-2xx answer throws with its body. */
export async function benchApi<T = any>(
  base: string,
  method: string,
  p: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const r = await fetch(base + p, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** The physical baseline of a bench: `insert(i)` (one raw statement) paced at `rate` a second for `seconds`. */
export async function pacedInserts(rate: number, seconds: number, insert: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const lat: number[] = [];
  const total = rate * seconds;
  const t0 = performance.now();
  let errors = 0;
  await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      await sleep(Math.max(0, t0 + (i * 1000) / rate - performance.now()));
      const s = performance.now();
      try {
        await insert(i);
        lat.push(performance.now() - s);
      } catch {
        errors++;
      }
    }),
  );
  return {
    label: 'raw INSERT',
    durationS: seconds,
    sent: total,
    completed: lat.length,
    rps: lat.length / seconds,
    status: {},
    non2xx: 0,
    errors,
    latency: latencyStats(lat),
    dispatchLagP99: 0,
    sampleErrors: [],
  };
}
