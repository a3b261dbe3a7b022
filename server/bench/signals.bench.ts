/**
 * Intent-signal benchmark on MariaDB/MySQL: `npm run bench:signals` (add `--write` or BENCH_WRITE=1 to update
 * docs/benchmarks.md).
 *
 * - Fresh database `lifeline_test_bench_signals_<pid>` (dropped at the end, also on failure); the real server (main.ts,
 *   demo mode) as a child process.
 * - A 会话存档 source; 400 of the demo company's customers with an open lead are linked to a chat identity with consent
 *   (what the sidebar and the customers' agree messages do). The sidecar posts 200 chat messages a second for 30 s (open
 *   loop, one message per POST, signed), a third of them from the customer with a price or trial phrase, the rest
 *   small talk or the rep's own lines.
 * - Visibility: a probe sends one customer message with a signal phrase every 500 ms for its own lead and polls
 *   `GET /api/leads/:id` until the new score shows: message posted → score visible, the target being p99 ≤ 1 s.
 * - Physical baseline in the same run: raw mysql2 single-row INSERTs of chat_message rows (autocommit) at the same rate.
 *
 * Env: BENCH_MYSQL_URL (else TEST_MYSQL_URL, else mysql://lifeline:lifeline@127.0.0.1:3306/lifeline);
 * BENCH_SCALE=0.2 shortens the run (smoke test).
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import {
  CpuMeter,
  findPidByComm,
  benchMysqlUrl,
  startServerChild,
  latencyStats,
  machineIdlePct,
  mdTable,
  mysqlConnOptions,
  pacedLoad,
  round,
  sleep,
  textTable,
  writeDocSection,
  benchApi,
  pacedInserts,
  type LatencyStats,
  type LoadResult,
} from './bench-kit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RATE = 200;
const LOAD_S = Math.max(5, Math.round(30 * SCALE));
const TARGET_VISIBLE_MS = 1000;
const log = (...a: unknown[]) => console.error('[bench:signals]', ...a);

/** How the sidecar signs (docs/signals.md), written here from the document. */
function signed(secret: string, body: string): Record<string, string> {
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    'content-type': 'application/json',
    'x-lifeline-source': 'chat-bench',
    'x-lifeline-timestamp': ts,
    'x-lifeline-signature': createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex'),
  };
}

const LINES = ['好的，谢谢老师', '孩子最近数学有点跟不上', '周末有时间', '学费多少钱？', '可以先约一节试听吗', '我们再考虑一下'];
let seq = 0;
function message(customer: string, fromCustomer: boolean, text: string) {
  seq++;
  const [from, to] = fromCustomer ? [customer, 'bench-rep'] : ['bench-rep', customer];
  return JSON.stringify({ messages: [{ msgId: `m-${process.pid}-${seq}`, from, to: [to], time: Date.now(), type: 'text', text }] });
}

/** Every 500 ms: one customer message with a signal for the probe's lead, then poll the lead until its score moved. */
async function visibilityProbe(base: string, secret: string, token: string, probe: { leadId: number; ext: string }[], until: number): Promise<number[]> {
  const out: number[] = [];
  let n = 0;
  while (Date.now() < until) {
    const target = probe[n++ % probe.length];
    const before = (await benchApi<any>(base, 'GET', `/api/leads/${target.leadId}`, token)).score;
    const started = performance.now();
    const body = message(target.ext, true, '学费多少钱？');
    const r = await fetch(`${base}/api/chat-messages`, { method: 'POST', headers: signed(secret, body), body });
    const answer = await r.text();
    if (!r.ok) throw new Error(`probe post: ${r.status} ${answer}`);
    for (;;) {
      const lead = await benchApi<any>(base, 'GET', `/api/leads/${target.leadId}`, token);
      if (lead.score !== before) break;
      if (performance.now() - started > 30_000) throw new Error(`the score never moved: ${answer}`);
      await sleep(10);
    }
    out.push(performance.now() - started);
    await sleep(Math.max(0, 500 - (performance.now() - started)));
  }
  return out;
}

function rawBaseline(pool: mysql.Pool, companyId: number, seconds: number): Promise<LoadResult> {
  return pacedInserts(RATE, seconds, (i) =>
    pool.query(
      'INSERT INTO chat_message (companyId, sourceId, msgId, type, externalUserId, customerId, leadId, userId, fromCustomer, status, text, sentAt, receivedAt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
      [companyId, 0, `raw-${process.pid}-${i}`, 'text', 'wm-raw', null, null, null, 1, 'used', '学费多少钱？', Date.now(), Date.now()],
    ),
  );
}

function signalsDoc(a: {
  table: (string | number)[][];
  load: LoadResult;
  visible: LatencyStats;
  met: boolean;
  signals: number;
  usage: Record<string, number | null>;
  idleBefore: number | null;
  idleAfter: number | null;
  disturbed: boolean;
}): string {
  return [
    `MariaDB on loopback, the real server as a child process, 2-core machine; \`bash scripts/mariadb-up.sh && npm run bench:signals -- --write\`, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    mdTable(a.table),
    '',
    `- Load: ${RATE} signed chat messages a second for ${LOAD_S} s (open loop, one message per POST, 400 consenting customers); a third are the customer asking the price or for a trial, so each of those stores a signal and re-scores the lead (audited, lead.updated emitted, A-level crossings routed and alarmed) before the answer; ${a.signals} signals stored. The baseline is raw single-row INSERTs of the message row at the same paced rate: the database alone.`,
    `- Visible: a probe posts a customer message with “学费多少钱？” every 500 ms and polls \`GET /api/leads/:id\` until the new score shows: p99 ${round(a.visible.p99, 0)} ms over ${a.visible.count} probes (target ≤ ${TARGET_VISIBLE_MS} ms: ${a.met ? 'met' : 'NOT met'}). The score is written in the transaction that stores the message, so it is visible as soon as the sidecar's POST is answered.`,
    `- CPU during the load, % of one core: server ${a.usage.server}, MariaDB ${a.usage.mariadb}, load generator ${a.usage.bench}, anything else ${a.usage.otherPct}; machine idle ${a.idleBefore}% before, ${a.idleAfter}% after.${a.disturbed ? ' **Disturbed**: other work was running on the machine.' : ' Undisturbed.'}`,
  ].join('\n');
}

async function main() {
  const base = benchMysqlUrl();
  const dbName = `lifeline_test_bench_signals_${process.pid}`;
  const admin = await mysql.createConnection(mysqlConnOptions(base));
  let server: Awaited<ReturnType<typeof startServerChild>> | undefined;
  let pool: mysql.Pool | undefined;
  const cleanup = async () => {
    if (server && server.child.exitCode === null) {
      const exited = new Promise((r) => server!.child.once('exit', r));
      server.child.kill('SIGTERM');
      await Promise.race([exited, sleep(6000)]);
    }
    await pool?.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => undefined);
    await admin.end().catch(() => undefined);
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const idleBefore = await machineIdlePct();
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const url = new URL(base.toString());
    url.pathname = `/${dbName}`;
    log('starting server (migrations + demo seed)…');
    server = await startServerChild(ROOT, url.toString(), { SNAPSHOT_INTERVAL: '0' });
    const { token } = await benchApi<{ token: string }>(server.base, 'POST', '/api/auth/dev-login', undefined, { role: 'admin' });
    const source = await benchApi<{ secret: string }>(server.base, 'POST', '/api/event-sources', token, {
      code: 'chat-bench',
      name: '会话存档',
      kind: 'chat_archive',
    });
    pool = mysql.createPool({ ...mysqlConnOptions(base, dbName), connectionLimit: 32 });
    const [rows] = (await pool.query(
      "SELECT MAX(l.id) AS leadId, l.customerId, MIN(l.companyId) AS companyId FROM `lead` l WHERE l.deletedAt IS NULL AND l.status IN ('pending','assigned','following') GROUP BY l.customerId HAVING COUNT(*) = 1 ORDER BY l.customerId LIMIT 410",
    )) as any;
    const companyId = Number(rows[0].companyId);
    const now = Date.now();
    const linked = rows.map((r: any, i: number) => ({ leadId: Number(r.leadId), customerId: Number(r.customerId), ext: `wm-bench-${i}` }));
    await pool.query(
      `INSERT INTO chat_contact (companyId, externalUserId, customerId, consent, consentAt, createdAt, updatedAt) VALUES ${linked.map(() => '(?,?,?,?,?,?,?)').join(',')}`,
      linked.flatMap((l: any) => [companyId, l.ext, l.customerId, 'agree', now, now, now]),
    );
    const probe = linked.slice(0, 10);
    const loadSet = linked.slice(10);
    let i = 0;
    const next = () => {
      const c = loadSet[i++ % loadSet.length];
      const fromCustomer = i % 3 !== 2;
      const body = message(c.ext, fromCustomer, LINES[i % LINES.length]);
      return { method: 'POST' as const, path: '/api/chat-messages', headers: signed(source.secret, body), body };
    };
    log(`warm-up 3 s at ${RATE / 4}/s…`);
    await pacedLoad({ label: 'warm-up', host: '127.0.0.1', port: server.port, rate: RATE / 4, durationS: 3, next });

    log(`load: ${RATE} chat messages/s for ${LOAD_S} s, visibility probe every 500 ms…`);
    const cpu = new CpuMeter({ server: server.child.pid ?? null, bench: process.pid, mariadb: findPidByComm('mariadbd') ?? findPidByComm('mysqld') }).begin();
    const probing = visibilityProbe(server.base, source.secret, token, probe, Date.now() + LOAD_S * 1000 - 1000);
    const load = await pacedLoad({ label: 'chat messages', host: '127.0.0.1', port: server.port, rate: RATE, durationS: LOAD_S, maxSockets: 64, next });
    const visible = latencyStats(await probing);
    const usage = cpu.end();
    const [[signals]] = (await pool.query('SELECT COUNT(*) AS n FROM lead_signal')) as any;

    log(`raw baseline: single-row INSERT INTO chat_message at ${RATE}/s for ${Math.min(10, LOAD_S)} s…`);
    const raw = await rawBaseline(pool, companyId, Math.min(10, LOAD_S));
    const idleAfter = await machineIdlePct();
    const table = [
      ['figure', 'value', 'baseline (same run)', 'ratio'],
      [`chat messages accepted /s (offered ${RATE})`, round(load.rps, 0), `${round(raw.rps, 0)} raw INSERT/s`, round(load.rps / raw.rps, 2)],
      [
        'accept latency p50 / p99 (ms)',
        `${round(load.latency.p50, 1)} / ${round(load.latency.p99, 1)}`,
        `${round(raw.latency.p50, 2)} / ${round(raw.latency.p99, 2)}`,
        round(load.latency.p99 / raw.latency.p99, 1),
      ],
      ['non-2xx / errors', `${load.non2xx} / ${load.errors}`, `— / ${raw.errors}`, ''],
      [
        'message → score visible p50 / p99 (ms)',
        `${round(visible.p50, 0)} / ${round(visible.p99, 0)}`,
        `target ${TARGET_VISIBLE_MS}`,
        round(visible.p99 / TARGET_VISIBLE_MS, 3),
      ],
    ];
    console.log(textTable(table));
    const met = visible.p99 <= TARGET_VISIBLE_MS && load.non2xx === 0 && load.errors === 0;
    const disturbed = (idleBefore ?? 100) < 80 || (usage.otherPct ?? 0) > 30;
    console.log(
      `signals stored ${signals.n}; server CPU ${usage.server}% of a core, MariaDB ${usage.mariadb}%, bench ${usage.bench}%, other ${usage.otherPct}%`,
    );
    console.log(
      `target message → score visible p99 ≤ ${TARGET_VISIBLE_MS} ms: ${met ? 'met' : 'NOT met'}${disturbed ? ' (run disturbed: other load on the machine)' : ''}`,
    );
    if (WRITE) {
      writeDocSection(
        path.join(ROOT, 'docs/benchmarks.md'),
        'bench:signals',
        signalsDoc({ table, load, visible, met, signals: Number(signals.n), usage, idleBefore, idleAfter, disturbed }),
        '# Benchmarks\n',
      );
      log('wrote docs/benchmarks.md (## bench:signals)');
    }
    await cleanup();
    process.exit(met ? 0 : 1);
  } catch (err) {
    log('failed:', err);
    if (server) log(server.out().slice(-3000));
    await cleanup();
    process.exit(1);
  }
}

void main();
