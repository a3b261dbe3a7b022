/**
 * Chaos run on MariaDB: `npm run bench:chaos` (`-- --write` updates docs/benchmarks.md, `-- --keep` keeps the database).
 *
 * Three real server processes (main.ts, alarm engine ticking in each) share one fresh database, migrated and seeded
 * with the demo company. CHAOS_WRITES (default 2,000) mixed writes go to them over HTTP, spread round-robin and
 * CHAOS_IN_FLIGHT (16) at a time: follow-ups (each with its own Idempotency-Key, many with a next step already due or
 * due within seconds, so alarm timers fall due during the run), lead PATCHes by the admin (status, owner, campaign,
 * stage, customer city/grade), claims by the lead's owner, intakes through an intake channel (new phones and existing
 * customers' phones) and lead deletes/restores. Twice during the run the busiest process is SIGKILLed and restarted ~1 s later; a request that
 * failed because its process died is sent again to another process, with the same Idempotency-Key (follow-ups) or the
 * same platform lead id (intakes). Writes to one customer's leads are never in flight together, so the last
 * acknowledged write of a field is the last one committed.
 *
 * Afterwards it waits until the system is quiet (no due timer pending, no outbox row pending, and an empty
 * `lead_change` outbox where that table exists), stops the servers and checks:
 *   1. nothing lost: every acknowledged write is in the database (last write per lead/customer field);
 *   2. derived state: every lead_fact equals the product's recomputation from source rows (refreshLeadFacts in a
 *      rolled-back transaction) and the independent one of test/support/metrics-oracle.ts (stays from journey events);
 *      every lead_rollup row equals a rebuild (rebuildRollups, rolled back) from the stored and the recomputed facts;
 *   3. alarms: every deadline the leads still want that fell due before the quiet point raised exactly one alarm,
 *      each alarm's cards went to each recipient exactly once, and no timer is 'cancelled' after firing that deadline.
 * Exit code 1 when a check fails.
 *
 * Env: CHAOS_WRITES (2000), CHAOS_IN_FLIGHT (16), CHAOS_RATE (writes offered per second, 40),
 * CHAOS_QUIET_TIMEOUT_S (300), CHAOS_LOG_DIR (keep the servers' logs), BENCH_MYSQL_URL / TEST_MYSQL_URL (see bench-kit).
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import type { DataSource, EntityManager } from 'typeorm';
import { GRADES, JOURNEY_NODES, alarmSettings, desiredTimers, type AlarmSettings } from '@lifeline/shared';
import { createDataSource } from '../src/db/data-source';
import { migrate } from '../src/db/migrate';
import { seedDemoIfEmpty } from '../src/demo/seed';
import { effectiveSettings } from '../src/companies/settings';
import { refreshLeadFacts, settingsOf } from '../src/metrics/facts';
import { MEASURE_NAMES, rebuildRollups } from '../src/metrics/rollup';
import { Oracle, loadRaw } from '../../test/support/metrics-oracle';
import { LB_PORTS, checksumDiffs, galeraUp, killNode, nodePid, runScript, urlAt, waitSynced } from './galera-kit';
import { benchMysqlUrl, freePort, mdTable, mysqlConnOptions, round, sleep, textTable, writeDocSection } from './bench-kit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const KEEP = process.argv.includes('--keep');
/** `--galera` (npm run chaos:galera): the servers on a 3-node Galera cluster behind HAProxy, database nodes killed too. */
const GALERA = process.argv.includes('--galera');
const IN_FLIGHT = Number(process.env.CHAOS_IN_FLIGHT ?? 16);
const RATE = Number(process.env.CHAOS_RATE ?? 40);
/** On Galera the run lasts CHAOS_MINUTES (10) at RATE; on one MariaDB it is CHAOS_WRITES (2,000) writes. */
const MINUTES = Number(process.env.CHAOS_MINUTES ?? 10);
const WRITES = Number(process.env.CHAOS_WRITES ?? (GALERA ? Math.round(RATE * 60 * MINUTES) : 2000));
const QUIET_TIMEOUT_MS = Number(process.env.CHAOS_QUIET_TIMEOUT_S ?? 300) * 1000;
const PROCESSES = 3;
/** When the kills happen: after this share of the writes has been answered (on Galera, database nodes die too). */
const KILL_AT: { at: number; what: 'server' | 'node'; node?: number }[] = GALERA
  ? [
      { at: 0.2, what: 'server' },
      { at: 0.35, what: 'node', node: 1 },
      { at: 0.6, what: 'server' },
      { at: 0.8, what: 'node', node: 2 },
    ]
  : [
      { at: 0.3, what: 'server' },
      { at: 0.65, what: 'server' },
    ];
/** A killed database node stays down this long (the cluster carries on with two), then rejoins by IST. */
const NODE_DOWN_MS = 20_000;
const RESTART_AFTER_MS = 1000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Tries of one request across processes before its outcome counts as unknown. */
const MAX_ATTEMPTS = 12;
/** A 503 db_unavailable (a lock wait or deadlock that outlived the server's retries) is resent this often, like the sidebar's outbox does. */
const MAX_UNAVAILABLE_RESENDS = 3;
const KEY_PREFIX = `chaos-${process.pid}`;
/** CHAOS_LOG_DIR: every server process's output is appended to server-<n>.log there. */
const LOG_DIR = process.env.CHAOS_LOG_DIR;

const log = (...a: unknown[]) => console.error('[bench:chaos]', ...a);

// Math.random: which lead a write finds free depends on timing anyway, so a seed would not replay a run.
const rand = Math.random;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo));

// ------------------------------------------------------------------------------------------ processes

interface Req {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface Reply {
  status: number;
  body: any;
}

/** Request id → the database error code a server logged for its 503 ('database unavailable'), from every process's log. */
const dbErrorOf = new Map<string, string>();

/** Warnings and errors the servers logged, by message (pino level ≥ 40). */
const serverLogCounts = new Map<string, number>();

/** Counts a server's warnings and errors, and notes the database error behind each 503 (pino JSON lines). */
function scanLog(line: string): void {
  if (!line.startsWith('{')) return;
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; reqId?: string; db?: { code?: string } };
    if ((entry.level ?? 0) >= 40) serverLogCounts.set(String(entry.msg), (serverLogCounts.get(String(entry.msg)) ?? 0) + 1);
    if (entry.msg === 'database unavailable' && entry.reqId) dbErrorOf.set(entry.reqId, entry.db?.code ?? '?');
  } catch {
    /* not a JSON line */
  }
}

/** One server process (main.ts on a fixed port), which can be SIGKILLed and started again on the same port. */
class ServerProc {
  child: ChildProcess | null = null;
  up = false;
  inflight = 0;
  starts = 0;
  private out = '';

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly dbUrl: string,
  ) {}

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.starts++;
    // `node --import tsx` is what `tsx server/src/main.ts` runs, minus the CLI's wrapper: the SIGKILL reaches the server.
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: this.dbUrl, LIFELINE_DEMO: '1', LOG_LEVEL: 'warn', PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let partial = '';
    const logFile = LOG_DIR ? path.join(LOG_DIR, `server-${this.index}.log`) : null;
    const keep = (b: Buffer) => {
      const text = b.toString('utf8');
      if (logFile) fs.appendFileSync(logFile, text);
      this.out = (this.out + text).slice(-20_000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(scanLog);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', () => {
      if (this.child === child) this.up = false;
    });
    const deadline = Date.now() + 120_000;
    while (!(await this.healthy())) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server ${this.index} exited during startup:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`server ${this.index} did not answer /healthz within 120 s:\n${this.out}`);
      await sleep(200);
    }
    this.up = true;
  }

  private async healthy(): Promise<boolean> {
    try {
      return (await fetch(`${this.base}/healthz`)).ok;
    } catch {
      return false;
    }
  }

  /** SIGKILL: no shutdown hook runs; MariaDB rolls back whatever its connections had open. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM (the server's own shutdown), SIGKILL after 6 s. */
  stop(): Promise<void> {
    return this.signal('SIGTERM', 6000);
  }

  private async signal(sig: NodeJS.Signals, escalateAfterMs?: number): Promise<void> {
    const child = this.child;
    this.up = false;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(sig);
    const t = escalateAfterMs ? setTimeout(() => child.kill('SIGKILL'), escalateAfterMs) : undefined;
    await exited;
    clearTimeout(t);
  }

  tail(): string {
    return this.out.slice(-3000);
  }
}

async function httpCall(base: string, r: Req): Promise<Reply> {
  const res = await fetch(base + r.path, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body };
}

interface Sent {
  reply: Reply | null;
  /** Sends that got no answer (the process died under the request, or was down). */
  died: number;
  /** 503 db_unavailable answers that were resent, with the database error each server logged. */
  unavailable: string[];
  errors: string[];
}

const requestIdIn = (body: any) => /请求编号 ([\w-]+)/.exec(String(body?.error?.message ?? ''))?.[1] ?? '';

/** The three processes behind a round-robin client that resends a request elsewhere when its process died. */
class Cluster {
  private next = 0;
  constructor(readonly procs: ServerProc[]) {}

  /** The next live process, other than `avoid` when another is up; null while none is. */
  private pick(avoid: number | null): ServerProc | null {
    const up = this.procs.filter((p) => p.up);
    const choice = up.length > 1 ? up.filter((p) => p.index !== avoid) : up;
    if (!choice.length) return null;
    return choice[this.next++ % choice.length];
  }

  async send(r: Req): Promise<Sent> {
    const sent: Sent = { reply: null, died: 0, unavailable: [], errors: [] };
    let avoid: number | null = null;
    while (sent.died < MAX_ATTEMPTS) {
      const p = this.pick(avoid);
      if (!p) {
        sent.died++;
        await sleep(500);
        continue;
      }
      p.inflight++;
      try {
        sent.reply = await httpCall(p.base, r);
      } catch (err) {
        // No answer (connection reset or refused, timeout): the process died under it or is restarting.
        sent.errors.push(`server ${p.index}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
        sent.died++;
        avoid = p.index;
        await sleep(100);
        continue;
      } finally {
        p.inflight--;
      }
      // The transaction was rolled back whole (503 + Retry-After): resending is what a client is told to do.
      if (sent.reply.status !== 503 || sent.reply.body?.error?.code !== 'db_unavailable' || sent.unavailable.length >= MAX_UNAVAILABLE_RESENDS) return sent;
      sent.unavailable.push(requestIdIn(sent.reply.body));
      await sleep(1000);
    }
    return sent;
  }
}

// ---------------------------------------------------------------------------------------------- world

interface LeadState {
  id: number;
  customerId: number;
  ownerId: number | null;
  deleted: boolean;
}

/** What the acknowledged writes say the database holds; checked after the run. */
interface Expected {
  /** Last acknowledged value per lead field. */
  lead: Map<number, Record<string, unknown>>;
  /** Last acknowledged value per customer field (city and grade live on the customer, shared by its leads). */
  customer: Map<number, Record<string, unknown>>;
  deleted: Map<number, boolean>;
  /** Follow-up Idempotency-Keys answered 2xx, and the lead each was for. */
  followupKeys: Map<string, number>;
  /** Follow-up Idempotency-Keys answered 2xx → the follow-up id the answer named. */
  followupIds: Map<string, number>;
  /** Follow-up keys answered 4xx: nothing may be stored under them. */
  refusedKeys: Set<string>;
  /** Intake platform lead ids answered 2xx → the lead id answered. */
  intakes: Map<string, number>;
  /** Customers with a write whose outcome never arrived: their fields are not checked. */
  unknown: Set<number>;
  /** Acknowledgements that contradict an earlier one (e.g. "not deleted" right after an acknowledged delete). */
  contradictions: string[];
}

type Kind = 'followup' | 'patch' | 'claim' | 'intake' | 'delete' | 'restore';
const KINDS: Kind[] = ['followup', 'patch', 'claim', 'intake', 'delete', 'restore'];

interface Op {
  n: number;
  kind: Kind;
  /** The customer whose writes this op serialises with (null: an intake with a new phone). */
  customerId: number | null;
  lead: LeadState | null;
  req: Req;
  body: any;
  key?: string;
}

interface Actors {
  adminToken: string;
  repTokens: Map<number, string>;
  repIds: number[];
  intakeKey: string;
  intakeCode: string;
  actionTags: string[];
  courses: string[];
}

const CUSTOMER_FIELDS = new Set(['city', 'grade']);
const CITIES = ['苏州', '南京', '无锡', '上海', '杭州'];
const NODES = JOURNEY_NODES.filter((n) => n !== '签约转化');
const NEW_PHONE_PREFIXES = ['1391544', '1525053', '1801561', '1876199', '1358403'];

/** ISO 8601 with a +08:00 offset, as the mini-app sends it. */
const isoCst = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace('Z', '+08:00');

/** The leads and customers the run writes to, who is busy, and what the acknowledgements promised. */
class World {
  readonly byId = new Map<number, LeadState>();
  readonly leads: LeadState[] = [];
  readonly busy = new Set<number>();
  readonly expected: Expected = {
    lead: new Map(),
    customer: new Map(),
    deleted: new Map(),
    followupKeys: new Map(),
    followupIds: new Map(),
    refusedKeys: new Set(),
    intakes: new Map(),
    unknown: new Set(),
    contradictions: [],
  };
  private phoneSeq = 0;
  /** The latest next step planned to fall due during the run (late or within seconds): the quiet point comes after it. */
  latestSoonDue = 0;

  constructor(
    readonly actors: Actors,
    readonly phones: Map<number, string>,
    leads: LeadState[],
  ) {
    for (const l of leads) this.add(l);
  }

  add(l: LeadState): void {
    if (this.byId.has(l.id)) return;
    this.byId.set(l.id, l);
    this.leads.push(l);
  }

  /** A random lead meeting `ok` whose customer has no write in flight (null if none found quickly). */
  private freeLead(ok: (l: LeadState) => boolean): LeadState | null {
    for (let i = 0; i < 60; i++) {
      const l = pick(this.leads);
      if (ok(l) && !this.busy.has(l.customerId)) return l;
    }
    return null;
  }

  /** The next write: its kind by the mix, its target free of other in-flight writes. Null when none is free now. */
  plan(n: number): Op | null {
    const r = rand();
    const kind: Kind = r < 0.4 ? 'followup' : r < 0.62 ? 'patch' : r < 0.72 ? 'claim' : r < 0.86 ? 'intake' : rand() < 0.5 ? 'restore' : 'delete';
    let op: Op | null;
    if (kind === 'intake') op = this.intake(n);
    else if (kind === 'restore') op = this.deletion(n, 'restore') ?? this.deletion(n, 'delete');
    else if (kind === 'claim') op = this.claim(n);
    else {
      const lead = this.freeLead((l) => !l.deleted);
      op = !lead ? null : kind === 'followup' ? this.followup(n, lead) : kind === 'patch' ? this.patch(n, lead) : this.deletion(n, 'delete', lead);
    }
    if (op?.customerId != null) this.busy.add(op.customerId);
    return op;
  }

  private json(token: string | null, extra: Record<string, string> = {}): Record<string, string> {
    return { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
  }

  /** A follow-up by the lead's owner (the admin when the owner is not a rep); its next step often due now or soon. */
  private followup(n: number, lead: LeadState): Op {
    const a = this.actors;
    const signing = rand() < 0.03;
    const body: Record<string, unknown> = {
      leadId: lead.id,
      action: signing ? '已签约' : pick(a.actionTags.filter((t) => t !== '已签约')),
      conclusion: `混沌测试 ${n}`,
      ...(signing ? { signedCourse: pick(a.courses) } : {}),
    };
    const now = Date.now();
    const s = rand();
    // A next step may be up to 10 minutes late (the rep picked 15:00 at 15:02): such a timer is due at once.
    if (s < 0.2) body.nextStep = { at: isoCst(now - between(5_000, 540_000)), action: '回电确认' };
    else if (s < 0.45) {
      const at = now + between(2_000, 30_000);
      this.latestSoonDue = Math.max(this.latestSoonDue, at);
      body.nextStep = { at: isoCst(at), action: '发送试听安排' };
    } else if (s < 0.7) body.nextStep = { at: isoCst(now + between(86_400_000, 3 * 86_400_000)), action: '约到店' };
    const key = `${KEY_PREFIX}-f${n}`;
    const token = (lead.ownerId !== null && a.repTokens.get(lead.ownerId)) || a.adminToken;
    const req: Req = { method: 'POST', path: '/api/followups', headers: this.json(token, { 'idempotency-key': key }), body: JSON.stringify(body) };
    return { n, kind: 'followup', customerId: lead.customerId, lead, req, body, key };
  }

  /** 1–3 fields a supervisor/admin may change: status, owner, campaign, stage, the customer's city or grade. */
  private patch(n: number, lead: LeadState): Op {
    const fields = ['status', 'ownerId', 'campaign', 'city', 'grade', 'journeyNode'].sort(() => rand() - 0.5).slice(0, between(1, 4));
    const body: Record<string, unknown> = {};
    for (const f of fields) {
      if (f === 'status') {
        body.status = pick(['following', 'following', 'lost', 'invalid']);
        if (body.status === 'lost') body.lostReason = '价格原因';
      }
      if (f === 'ownerId') body.ownerId = pick(this.actors.repIds);
      if (f === 'campaign') body.campaign = `活动${n % 7}`;
      if (f === 'city') body.city = pick(CITIES);
      if (f === 'grade') body.grade = pick(GRADES);
      if (f === 'journeyNode') body.journeyNode = pick(NODES);
    }
    const req: Req = { method: 'PATCH', path: `/api/leads/${lead.id}`, headers: this.json(this.actors.adminToken), body: JSON.stringify(body) };
    return { n, kind: 'patch', customerId: lead.customerId, lead, req, body };
  }

  /** The owner (a rep) takes the lead in hand: once; a second claim answers alreadyClaimed with the first time. */
  private claim(n: number): Op | null {
    const lead = this.freeLead((l) => !l.deleted && l.ownerId !== null && this.actors.repTokens.has(l.ownerId));
    if (!lead) return null;
    const req: Req = { method: 'POST', path: `/api/leads/${lead.id}/claim`, headers: this.json(this.actors.repTokens.get(lead.ownerId!)!) };
    return { n, kind: 'claim', customerId: lead.customerId, lead, req, body: null };
  }

  /** A form through the intake channel: a new phone, or (30%) an existing customer's phone. */
  private intake(n: number): Op | null {
    const existing = rand() < 0.3 ? this.freeLead(() => true) : null;
    const key = `${KEY_PREFIX}-i${n}`;
    const body: Record<string, unknown> = existing
      ? { phone: this.phones.get(existing.customerId), campaign: '老客户再咨询', externalId: key }
      : {
          phone: pick(NEW_PHONE_PREFIXES) + String(process.pid % 100).padStart(2, '0') + String(this.phoneSeq++ % 100).padStart(2, '0'),
          name: `混沌家长${n}`,
          city: pick(CITIES),
          grade: pick(GRADES),
          campaign: '混沌活动',
          externalId: key,
        };
    if (existing && !body.phone) return null;
    const req: Req = {
      method: 'POST',
      path: `/api/intake/${this.actors.intakeCode}`,
      headers: this.json(null, { 'x-intake-key': this.actors.intakeKey }),
      body: JSON.stringify(body),
    };
    return { n, kind: 'intake', customerId: existing?.customerId ?? null, lead: null, req, body, key };
  }

  private deletion(n: number, kind: 'delete' | 'restore', known?: LeadState): Op | null {
    const lead = known ?? this.freeLead((l) => l.deleted === (kind === 'restore'));
    if (!lead) return null;
    const req: Req =
      kind === 'delete'
        ? { method: 'DELETE', path: `/api/leads/${lead.id}`, headers: this.json(this.actors.adminToken) }
        : { method: 'POST', path: `/api/leads/${lead.id}/restore`, headers: this.json(this.actors.adminToken) };
    return { n, kind, customerId: lead.customerId, lead, req, body: null };
  }

  /** Records what an answer promised (or that no answer came) and frees the customer for the next write. */
  settle(op: Op, sent: Sent): void {
    if (op.customerId !== null) this.busy.delete(op.customerId);
    const reply = sent.reply;
    if (!reply || reply.status >= 500) {
      if (op.customerId !== null) this.expected.unknown.add(op.customerId);
      return;
    }
    const ok = reply.status >= 200 && reply.status < 300;
    if (op.kind === 'followup') this.settleFollowup(op, reply, ok);
    else if (op.kind === 'patch' && ok) this.settlePatch(op, reply);
    else if (op.kind === 'claim' && ok) this.leadExpect(op.lead!.id).claimedAt = Number(reply.body?.claimedAt);
    else if (op.kind === 'intake' && ok) this.settleIntake(op, reply);
    else if (op.kind === 'delete' || op.kind === 'restore') this.settleDeletion(op, reply, sent.died > 0);
  }

  private leadExpect(id: number): Record<string, unknown> {
    let e = this.expected.lead.get(id);
    if (!e) this.expected.lead.set(id, (e = {}));
    return e;
  }

  private settleFollowup(op: Op, reply: Reply, ok: boolean) {
    if (!ok) {
      this.expected.refusedKeys.add(op.key!);
      return;
    }
    this.expected.followupKeys.set(op.key!, op.lead!.id);
    this.expected.followupIds.set(op.key!, Number(reply.body?.id));
    const e = this.leadExpect(op.lead!.id);
    e.status = reply.body?.lead?.status;
    e.journeyNode = reply.body?.lead?.journeyNode;
    e.nextStepDueAt = op.body.nextStep ? Date.parse(op.body.nextStep.at) : null;
    // The owner's first follow-up claims the lead too.
    if (reply.body?.lead && 'claimedAt' in reply.body.lead) e.claimedAt = reply.body.lead.claimedAt;
  }

  private settlePatch(op: Op, reply: Reply) {
    const lead = op.lead!;
    const e = this.leadExpect(lead.id);
    for (const [f, v] of Object.entries(op.body as Record<string, unknown>)) {
      if (CUSTOMER_FIELDS.has(f)) {
        const c = this.expected.customer.get(lead.customerId) ?? {};
        c[f] = v;
        this.expected.customer.set(lead.customerId, c);
      } else e[f] = v;
    }
    // A new owner may move the status too (pending → assigned): the answer says what it is now.
    if (op.body.status === undefined && reply.body?.lead?.status) e.status = reply.body.lead.status;
    // Another owner has not claimed it yet (the same owner keeps the claim): the answer says.
    if (reply.body?.lead && 'claimedAt' in reply.body.lead) e.claimedAt = reply.body.lead.claimedAt;
    if (op.body.ownerId !== undefined) lead.ownerId = op.body.ownerId;
  }

  private settleIntake(op: Op, reply: Reply) {
    const leadId = Number(reply.body?.leadId);
    this.expected.intakes.set(op.key!, leadId);
    const customerId = Number(reply.body?.customerId ?? op.customerId ?? 0);
    if (!customerId) return; // a replay answers the lead id only: the lead is checked, not written to again
    if (reply.body?.customerId && !this.phones.has(customerId)) this.phones.set(customerId, op.body.phone);
    this.add({ id: leadId, customerId, ownerId: reply.body?.owner?.id ?? null, deleted: false });
    if (reply.body?.status) this.leadExpect(leadId).status = reply.body.status;
  }

  private settleDeletion(op: Op, reply: Reply, resent: boolean) {
    const lead = op.lead!;
    const want = op.kind === 'delete';
    // A resent delete that finds the lead already deleted means the first send committed before its process died.
    const done = (reply.status >= 200 && reply.status < 300) || (reply.status === 409 && resent);
    if (reply.status === 409 && !resent && !this.expected.unknown.has(lead.customerId)) {
      this.expected.contradictions.push(
        `lead ${lead.id}: ${op.kind} answered 409 although the last acknowledged state was ${lead.deleted ? 'deleted' : 'live'}`,
      );
    }
    if (!done) return;
    lead.deleted = want;
    this.expected.deleted.set(lead.id, want);
  }
}

// --------------------------------------------------------------------------------------------- driver

interface KillRecord {
  what: 'server' | 'node';
  /** The server process, or the database node (0-based). */
  proc: number;
  atWrite: number;
  inflight: number;
  /** SIGKILL → answering /healthz again. */
  downMs: number;
  /** When the SIGKILL was sent (epoch ms). */
  at: number;
  /** A database node: how long galera-up.sh took to bring it back (IST). */
  rejoinMs?: number;
}

interface RunStats {
  sent: Record<Kind, number>;
  ok: Record<Kind, number>;
  /** Requests sent again to another process because theirs died, per kind. */
  retried: Record<Kind, number>;
  /** 503 db_unavailable answers (resent), per kind, and each with its request id (the server logs the database error by it). */
  unavailable: Record<Kind, number>;
  unavailableIds: { what: string; reqId: string }[];
  /** MariaDB's Innodb_deadlocks over the writes (server-wide). */
  deadlocks: number;
  /** The machine's 1-minute load average before and after the writes. */
  load: number[];
  status: Record<string, number>;
  unanswered: number;
  samples: string[];
  kills: KillRecord[];
  durationS: number;
  /** Every write's start (epoch ms) and how long its client waited for the final answer, resends included. */
  latencies: { at: number; ms: number }[];
  killFailures: string[];
}

const perKind = () => Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;

/**
 * At each KILL_AT mark: SIGKILLs the busiest live server process and starts it again ~1 s later, or (Galera) SIGKILLs
 * a database node's mariadbd, leaves the cluster to carry on with two nodes for NODE_DOWN_MS, then brings the node
 * back with scripts/galera-up.sh (it rejoins by IST).
 */
class KillSwitch {
  private next = 0;
  private readonly restarts: Promise<void>[] = [];
  /** Database node kills one after the other: the next waits until the previous node has rejoined. */
  private nodeKills: Promise<void> = Promise.resolve();
  readonly kills: KillRecord[] = [];
  /** A kill or restart that failed (the run is then reported as failed, not crashed). */
  readonly failures: string[] = [];
  constructor(private readonly procs: ServerProc[]) {}

  onAnswered(done: number): void {
    while (this.next < KILL_AT.length && done >= KILL_AT[this.next].at * WRITES) {
      const k = KILL_AT[this.next++];
      const kill = k.what === 'server' ? this.killOne(done) : (this.nodeKills = this.nodeKills.then(() => this.killNode(k.node!, done)));
      this.restarts.push(kill.catch((err) => void this.failures.push(`${k.what} kill/restart: ${(err as Error).message.slice(0, 300)}`)));
    }
  }

  private async killOne(done: number): Promise<void> {
    // Preferably while requests are in flight (up to 2 s of waiting for one): those are the ones that must be resent.
    for (const t = Date.now(); Date.now() - t < 2000 && !this.procs.some((p) => p.up && p.inflight > 0);) await sleep(2);
    const up = this.procs.filter((p) => p.up).sort((a, b) => b.inflight - a.inflight);
    if (up.length < 2) return; // keep one process serving
    const victim = up[0];
    const t = Date.now();
    const rec: KillRecord = { what: 'server', proc: victim.index, atWrite: done, inflight: victim.inflight, downMs: 0, at: t };
    this.kills.push(rec);
    log(`SIGKILL server ${victim.index} (pid ${victim.child?.pid}) with ${victim.inflight} requests in flight, after ${done} writes`);
    await victim.kill();
    await sleep(RESTART_AFTER_MS);
    await victim.start();
    rec.downMs = Date.now() - t;
    log(`server ${victim.index} back after ${rec.downMs} ms`);
  }

  private async killNode(node: number, done: number): Promise<void> {
    const t = Date.now();
    const rec: KillRecord = { what: 'node', proc: node, atWrite: done, inflight: this.procs.reduce((a, p) => a + p.inflight, 0), downMs: 0, at: t };
    this.kills.push(rec);
    log(`SIGKILL database node ${node + 1} (mariadbd pid ${nodePid(node)}) with ${rec.inflight} requests in flight, after ${done} writes`);
    await killNode(node);
    await sleep(NODE_DOWN_MS);
    const back = await runScript(ROOT, 'galera-up.sh');
    rec.downMs = Date.now() - t;
    rec.rejoinMs = back.ms;
    log(`database node ${node + 1} back in the cluster after ${rec.downMs} ms (galera-up.sh: ${back.ms} ms)`);
  }

  settled(): Promise<void[]> {
    return Promise.all(this.restarts);
  }
}

/** Sends WRITES planned writes at RATE per second, at most IN_FLIGHT at a time, with the kills on the way. */
async function drive(world: World, cluster: Cluster): Promise<RunStats> {
  const stats: RunStats = {
    sent: perKind(),
    ok: perKind(),
    retried: perKind(),
    unavailable: perKind(),
    unavailableIds: [],
    status: {},
    unanswered: 0,
    samples: [],
    kills: [],
    durationS: 0,
    deadlocks: 0,
    load: [round(os.loadavg()[0], 1)],
    latencies: [],
    killFailures: [],
  };
  const killer = new KillSwitch(cluster.procs);
  const running = new Set<Promise<void>>();
  let answered = 0;
  const t0 = performance.now();
  const run = async (op: Op) => {
    const at = Date.now();
    const sent = await cluster.send(op.req);
    stats.latencies.push({ at, ms: Date.now() - at });
    world.settle(op, sent);
    record(stats, op, sent);
    answered++;
    if (answered % Math.max(1, Math.round(WRITES / 10)) === 0) log(`${answered} / ${WRITES} writes answered`);
    killer.onAnswered(answered);
  };
  for (let n = 0; n < WRITES; n++) {
    const due = t0 + (n * 1000) / RATE;
    if (performance.now() < due) await sleep(due - performance.now());
    while (running.size >= IN_FLIGHT) await Promise.race(running);
    let op = world.plan(n);
    while (!op) {
      await Promise.race([...running, sleep(20)]);
      op = world.plan(n);
    }
    const p: Promise<void> = run(op).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  stats.durationS = round((performance.now() - t0) / 1000, 1);
  stats.load.push(round(os.loadavg()[0], 1));
  await killer.settled();
  stats.kills = killer.kills;
  stats.killFailures = killer.failures;
  return stats;
}

function record(stats: RunStats, op: Op, sent: Sent): void {
  stats.sent[op.kind]++;
  if (sent.died > 0) stats.retried[op.kind]++;
  for (const reqId of sent.unavailable) {
    stats.unavailable[op.kind]++;
    // What the request changed: grouped with the database error once the servers' logs are in (see unavailableWhy).
    const fields = op.kind === 'patch' ? ` {${Object.keys(op.body).sort().join(',')}}` : '';
    stats.unavailableIds.push({ what: `${op.kind}${fields}`, reqId });
  }
  if (!sent.reply) {
    stats.unanswered++;
    if (stats.samples.length < 8) stats.samples.push(`${op.kind} #${op.n}: no answer after ${sent.died} tries (${sent.errors.slice(-2).join('; ')})`);
    return;
  }
  const { status, body } = sent.reply;
  stats.status[status] = (stats.status[status] ?? 0) + 1;
  const resentConflict = status === 409 && sent.died > 0 && (op.kind === 'delete' || op.kind === 'restore');
  if ((status >= 200 && status < 300) || resentConflict) stats.ok[op.kind]++;
  else if (stats.samples.length < 8) stats.samples.push(`${op.kind} #${op.n} → ${status} ${JSON.stringify(body).slice(0, 200)}`);
}

// ----------------------------------------------------------------------------------------------- setup

/** Migrations and the demo company, as main.ts does it; quiet hours off so that alarms go out whatever the hour. */
async function prepareDatabase(dbUrl: string): Promise<void> {
  const ds = await createDataSource({ kind: 'mysql', url: dbUrl }, { poolSize: 2 }).initialize();
  try {
    await migrate(ds);
    await seedDemoIfEmpty(ds, { history: true });
    // Non-urgent alarms would wait for 08:00 China time during quiet hours (21:30–08:00): the run could not go quiet.
    // Digests and per-person rate limits keep their defaults.
    for (const c of await ds.query('SELECT id, settings FROM company')) {
      const settings = c.settings ? JSON.parse(c.settings) : {};
      settings.alarms = { ...(settings.alarms ?? {}), quietStart: '00:00', quietEnd: '00:00' };
      await ds.query('UPDATE company SET settings = ? WHERE id = ?', [JSON.stringify(settings), c.id]);
    }
  } finally {
    await ds.destroy();
  }
}

async function signIn(cluster: Cluster, body: object): Promise<{ token: string; user: { id: number; role: string } }> {
  const sent = await cluster.send({ method: 'POST', path: '/api/auth/dev-login', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (sent.reply?.status !== 200) throw new Error(`dev-login ${JSON.stringify(body)}: ${JSON.stringify(sent.reply)}`);
  return sent.reply.body;
}

/** Tokens (admin, every active rep), an intake channel, and the leads and customers to write to. */
async function loadWorld(cluster: Cluster, db: mysql.Pool): Promise<World> {
  const admin = await signIn(cluster, { role: 'admin' });
  const [reps] = (await db.query("SELECT id FROM app_user WHERE role = 'rep' AND active = 1 AND deletedAt IS NULL")) as any;
  const repTokens = new Map<number, string>();
  for (const r of reps) repTokens.set(Number(r.id), (await signIn(cluster, { userId: Number(r.id) })).token);
  const intakeCode = `chaos-${process.pid}`;
  const ch = await cluster.send({
    method: 'POST',
    path: '/api/intake-channels',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({ code: intakeCode, name: '混沌测试表单', tag: '混沌-表单', kind: 'api' }),
  });
  if (ch.reply?.status !== 201) throw new Error(`intake channel: ${JSON.stringify(ch.reply)}`);
  const settings = effectiveSettings({});
  const actors: Actors = {
    adminToken: admin.token,
    repTokens,
    repIds: [...repTokens.keys()],
    intakeKey: ch.reply.body.key,
    intakeCode,
    actionTags: settings.actionTags,
    courses: settings.courses.map((c) => c.name),
  };
  const [leads] = (await db.query('SELECT id, customerId, ownerId, deletedAt FROM `lead`')) as any;
  const [customers] = (await db.query('SELECT id, phone FROM customer')) as any;
  return new World(
    actors,
    new Map(customers.map((c: any) => [Number(c.id), String(c.phone)])),
    leads.map((l: any) => ({
      id: Number(l.id),
      customerId: Number(l.customerId),
      ownerId: l.ownerId === null ? null : Number(l.ownerId),
      deleted: l.deletedAt !== null,
    })),
  );
}

// ------------------------------------------------------------------------------------------------ quiet

interface Quiet {
  at: number;
  waitedS: number;
  timedOut: boolean;
  leadChangeTable: boolean;
  left: { dueTimers: number; pendingMessages: number; leadChanges: number };
}

/**
 * Waits until nothing is left to do: no pending timer is due, no outbox row is pending (rate-limit holds move a row
 * up to a minute ahead), and the `lead_change` outbox (where that table exists) is drained by its projector.
 */
async function waitQuiet(db: mysql.Pool, dbName: string): Promise<Quiet> {
  const t0 = Date.now();
  const [[t]] = (await db.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = 'lead_change'", [dbName])) as any;
  const leadChangeTable = Number(t.n) > 0;
  const count = async (sql: string, params: unknown[] = []) => Number(((await db.query(sql, params)) as any)[0][0].n);
  for (;;) {
    const now = Date.now();
    const left = {
      dueTimers: await count("SELECT COUNT(*) AS n FROM alarm_timer WHERE state = 'pending' AND dueAt <= ?", [now]),
      pendingMessages: await count("SELECT COUNT(*) AS n FROM alarm_message WHERE state = 'pending'"),
      leadChanges: leadChangeTable ? await count('SELECT COUNT(*) AS n FROM lead_change') : 0,
    };
    const quiet = !left.dueTimers && !left.pendingMessages && !left.leadChanges;
    const timedOut = !quiet && now - t0 > QUIET_TIMEOUT_MS;
    if (quiet || timedOut) return { at: now, waitedS: round((now - t0) / 1000, 1), timedOut, leadChangeTable, left };
    await sleep(1000);
  }
}

// ----------------------------------------------------------------------------------------------- checks

interface Check {
  group: 1 | 2 | 3 | 4 | 5;
  name: string;
  compared: number;
  bad: number;
  /** false: reported, does not fail the run. */
  gate: boolean;
  samples: string[];
}

const same = (a: unknown, b: unknown) => String(a ?? null) === String(b ?? null);
const check = (group: Check['group'], name: string, compared: number, badOnes: string[], gate = true): Check => ({
  group,
  name,
  compared,
  bad: badOnes.length,
  gate,
  samples: badOnes.slice(0, 5),
});

/** 1. Every acknowledged write is in the database. */
async function checkNothingLost(db: mysql.Pool, e: Expected): Promise<Check[]> {
  const [frows] = (await db.query('SELECT clientRequestId AS k, COUNT(*) AS n FROM followup WHERE clientRequestId LIKE ? GROUP BY clientRequestId', [
    `${KEY_PREFIX}-%`,
  ])) as any;
  const stored = new Map<string, number>(frows.map((r: any) => [String(r.k), Number(r.n)]));
  const followups = [...e.followupKeys].filter(([k]) => stored.get(k) !== 1).map(([k, lead]) => `follow-up ${k} (lead ${lead}) stored ${stored.get(k) ?? 0}×`);
  const phantoms = [...e.refusedKeys].filter((k) => stored.has(k)).map((k) => `follow-up ${k} answered 4xx but stored`);

  const [lrows] = (await db.query(
    'SELECT id, customerId, status, ownerId, claimedAt, campaign, journeyNode, lostReason, nextStepDueAt, deletedAt FROM `lead`',
  )) as any;
  const leads = new Map<number, any>(lrows.map((r: any) => [Number(r.id), r]));
  const [crows] = (await db.query('SELECT id, city, grade FROM customer')) as any;
  const customers = new Map<number, any>(crows.map((r: any) => [Number(r.id), r]));
  const trusted = (leadId: number) => !e.unknown.has(Number(leads.get(leadId)?.customerId));

  const fieldDiffs: string[] = [];
  let fields = 0;
  for (const [id, want] of e.lead) {
    if (!trusted(id)) continue;
    for (const [f, v] of Object.entries(want)) {
      fields++;
      if (!same(leads.get(id)?.[f], v)) fieldDiffs.push(`lead ${id}.${f}: acknowledged ${v}, stored ${leads.get(id)?.[f]}`);
    }
  }
  for (const [id, want] of e.customer) {
    if (e.unknown.has(id)) continue;
    for (const [f, v] of Object.entries(want)) {
      fields++;
      if (!same(customers.get(id)?.[f], v)) fieldDiffs.push(`customer ${id}.${f}: acknowledged ${v}, stored ${customers.get(id)?.[f]}`);
    }
  }
  const deletions = [...e.deleted]
    .filter(([id]) => trusted(id))
    .filter(([id, d]) => (leads.get(id)?.deletedAt !== null) !== d)
    .map(([id, d]) => `lead ${id}: last acknowledged ${d ? 'delete' : 'restore'}, stored deletedAt ${leads.get(id)?.deletedAt}`);

  const [irows] = (await db.query(
    'SELECT externalId AS k, COUNT(*) AS n, MIN(leadId) AS leadId FROM intake_record WHERE externalId LIKE ? GROUP BY externalId',
    [`${KEY_PREFIX}-%`],
  )) as any;
  const records = new Map<string, any>(irows.map((r: any) => [String(r.k), r]));
  const intakes = [...e.intakes]
    .filter(([k, leadId]) => !leads.has(leadId) || Number(records.get(k)?.n ?? 0) !== 1 || Number(records.get(k)?.leadId) !== leadId)
    .map(([k, leadId]) => `intake ${k}: answered lead ${leadId}; lead ${leads.has(leadId) ? 'exists' : 'MISSING'}, ${records.get(k)?.n ?? 0} intake records`);
  return [
    check(1, 'follow-ups acknowledged, stored exactly once', e.followupKeys.size, followups),
    check(1, 'follow-ups refused (4xx), stored nevertheless', e.refusedKeys.size, phantoms),
    check(1, 'lead/customer fields = last acknowledged write', fields, fieldDiffs),
    check(1, 'deleted/restored = last acknowledged op', e.deleted.size, deletions),
    check(1, 'intakes acknowledged: lead + one intake record', e.intakes.size, intakes),
    check(1, 'answers contradicting an earlier acknowledgement', e.deleted.size, e.contradictions),
  ];
}

/**
 * 4. What the answers named is what was stored, and the audit trail points at it: each acknowledged follow-up's
 * answered id is the stored row's id, and it has exactly one audit 'create' row, at that id, holding that follow-up;
 * each acknowledged intake's lead has one audit 'create' row. (On Galera, ids derived from a cached
 * auto_increment step named other rows once a node left: galera.md.)
 */
async function checkIdsAndAudit(db: mysql.Pool, e: Expected): Promise<Check[]> {
  const [frows] = (await db.query('SELECT id, clientRequestId AS k FROM followup WHERE clientRequestId LIKE ?', [`${KEY_PREFIX}-%`])) as any;
  const storedId = new Map<string, number>(frows.map((r: any) => [String(r.k), Number(r.id)]));
  const answers = [...e.followupIds]
    .filter(([k, id]) => storedId.get(k) !== id)
    .map(([k, id]) => `follow-up ${k}: answered id ${id}, stored id ${storedId.get(k) ?? 'none'}`);
  const [arows] = (await db.query("SELECT entityId, `after` FROM audit_log WHERE entity = 'followup' AND action = 'create'")) as any;
  const auditsOf = new Map<number, { key: string; id: number }[]>();
  for (const a of arows) {
    const after = JSON.parse(String(a.after));
    const list = auditsOf.get(Number(a.entityId)) ?? [];
    list.push({ key: String(after?.clientRequestId), id: Number(after?.id) });
    auditsOf.set(Number(a.entityId), list);
  }
  const audits = [...storedId]
    .filter(([k]) => e.followupIds.has(k))
    .filter(([k, id]) => {
      const rows = auditsOf.get(id) ?? [];
      return rows.length !== 1 || rows[0].key !== k || rows[0].id !== id;
    })
    .map(([k, id]) => `follow-up ${k} (id ${id}): audit create rows ${JSON.stringify(auditsOf.get(id) ?? [])}`);
  const [lrows] = (await db.query("SELECT entityId, COUNT(*) AS n FROM audit_log WHERE entity = 'lead' AND action = 'create' GROUP BY entityId")) as any;
  const leadAudits = new Map<number, number>(lrows.map((r: any) => [Number(r.entityId), Number(r.n)]));
  const intakeLeads = [...new Set(e.intakes.values())]
    .filter((id) => leadAudits.get(id) !== 1)
    .map((id) => `lead ${id}: ${leadAudits.get(id) ?? 0} audit create rows`);
  return [
    check(4, "follow-up answers: the id answered = the stored row's id", e.followupIds.size, answers),
    check(4, 'follow-ups: one audit create row, at the stored id, holding that follow-up', e.followupIds.size, audits),
    check(4, 'intake leads: one audit create row each', new Set(e.intakes.values()).size, intakeLeads),
  ];
}

/**
 * 5. (Galera) What clients saw and what the nodes hold: no 5xx answer, no resent 503 and no request left unanswered
 * (one node down leaves two that take writes: no moment without a writable node); every table's checksum the same on
 * the three nodes once they are in sync again.
 */
async function checkCluster(run: RunStats, dbName: string): Promise<Check[]> {
  // Two nodes always take writes, and a COMMIT lost with its node is settled by its commit marker (db/commit-marker.ts):
  // every 503 is an error that leaked, whatever the database said behind it.
  const leaked = [
    ...Object.entries(run.status)
      .filter(([status]) => Number(status) >= 500)
      .map(([status, n]) => `${n} final answers ${status}`),
    ...run.unavailableIds.map((u) => `503 db_unavailable for ${u.what}: ${dbErrorOf.get(u.reqId) ?? 'not in the log'}`),
    ...(run.unanswered ? [`${run.unanswered} requests never answered`] : []),
    ...run.killFailures,
  ];
  const states = await waitSynced();
  const notSynced = states.filter((s) => !(s.up && s.ready && s.size === 3 && s.state === 'Synced')).map((s) => `node :${s.port} ${s.state}, size ${s.size}`);
  const sums = notSynced.length ? { tables: 0, differing: ['not compared: a node is not back'] } : await checksumDiffs(dbName);
  return [
    check(
      5,
      'errors leaked to clients (5xx, 503 even when resent, unanswered)',
      KINDS.reduce((a, k) => a + run.sent[k], 0),
      leaked,
    ),
    check(5, 'nodes back in the cluster and Synced', states.length, notSynced),
    check(5, 'table checksums equal on all three nodes', sums.tables, sums.differing),
  ];
}

type Row = Record<string, unknown>;
type Queryable = { query: (sql: string, params?: unknown[]) => Promise<any> };

async function factRows(q: Queryable, companyId: number): Promise<Map<number, Row>> {
  const rows: Row[] = await q.query('SELECT * FROM lead_fact WHERE companyId = ?', [companyId]);
  return new Map(rows.map(({ updatedAt: _u, ...r }) => [Number(r.leadId), r]));
}

/** Non-zero rollup rows by key → their measures (updatedAt is bookkeeping, not a figure). */
async function rollupRows(q: Queryable, companyId: number): Promise<Map<string, number[]>> {
  const rows: Row[] = await q.query(
    `SELECT shape, day, ownerId, orgUnitId, dim, ${MEASURE_NAMES.map((m) => `\`${m}\``).join(', ')} FROM lead_rollup WHERE companyId = ?`,
    [companyId],
  );
  return new Map(
    rows
      .map((r) => [`${r.shape}|${r.day}|${r.ownerId}|${r.orgUnitId}|${r.dim}`, MEASURE_NAMES.map((m) => Number(r[m]))] as const)
      .filter(([, v]) => v.some((x) => x !== 0)),
  );
}

/** Runs `work` in a transaction that is always rolled back: recomputations never overwrite the stored rows. */
async function rolledBack<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  const qr = ds.createQueryRunner();
  await qr.connect();
  await qr.startTransaction();
  try {
    return await work(qr.manager);
  } finally {
    await qr.rollbackTransaction();
    await qr.release();
  }
}

function diffFacts(stored: Map<number, Row>, rebuilt: Map<number, Row>): string[] {
  const out: string[] = [];
  for (const id of new Set([...stored.keys(), ...rebuilt.keys()])) {
    const a = stored.get(id);
    const b = rebuilt.get(id);
    if (!a || !b) {
      out.push(`lead ${id}: fact ${a ? 'not recomputed' : 'missing'}`);
      continue;
    }
    const cols = Object.keys(b).filter((c) => !same(a[c], b[c]));
    if (cols.length) out.push(`lead ${id}: ${cols.map((c) => `${c} stored ${a[c]} vs rebuilt ${b[c]}`).join(', ')}`);
  }
  return out;
}

function diffRollups(stored: Map<string, number[]>, rebuilt: Map<string, number[]>): string[] {
  const out: string[] = [];
  for (const k of new Set([...stored.keys(), ...rebuilt.keys()])) {
    const a = stored.get(k) ?? MEASURE_NAMES.map(() => 0);
    const b = rebuilt.get(k) ?? MEASURE_NAMES.map(() => 0);
    const cols = MEASURE_NAMES.filter((_, i) => a[i] !== b[i]);
    if (cols.length) out.push(`rollup ${k}: ${cols.map((c) => `${c} ${a[MEASURE_NAMES.indexOf(c)]} vs ${b[MEASURE_NAMES.indexOf(c)]}`).join(', ')}`);
  }
  return out;
}

/** The fact columns the metrics oracle derives on its own (touches from follow-ups, stays from journey events). */
function diffOracle(stored: Map<number, Row>, oracle: Oracle): string[] {
  const out: string[] = [];
  for (const d of oracle.leads) {
    const f = stored.get(d.id);
    if (!f) continue;
    const want: Row = {
      firstTouchAt: d.firstTouch,
      assignTouchAt: d.assignTouch,
      maxNodeIndex: d.maxNode,
      nodeEnteredAt: d.nodeEnteredAt,
      ...Object.fromEntries(d.stayMs.map((v, i) => [`stayMs${i}`, v])),
      ...Object.fromEntries(d.stays.map((v, i) => [`stays${i}`, v])),
    };
    const cols = Object.keys(want).filter((c) => c in f && !same(f[c], want[c]));
    if (cols.length) out.push(`lead ${d.id}: ${cols.map((c) => `${c} stored ${f[c]} vs from events ${want[c]}`).join(', ')}`);
  }
  return out;
}

/** 2. Facts and rollups equal a rebuild from source rows. */
async function checkDerived(ds: DataSource): Promise<Check[]> {
  const out = { facts: [] as string[], oracle: [] as string[], rollFacts: [] as string[], rollSources: [] as string[] };
  const n = { facts: 0, rollFacts: 0, rollSources: 0 };
  for (const { id } of await ds.query('SELECT id FROM company')) {
    const companyId = Number(id);
    const levelA = (await settingsOf(ds.manager, companyId)).levelA;
    const facts = await factRows(ds, companyId);
    const rollup = await rollupRows(ds, companyId);
    const fromFacts = await rolledBack(ds, async (em) => {
      await rebuildRollups(em, companyId, levelA);
      return rollupRows(em, companyId);
    });
    const fromSources = await rolledBack(ds, async (em) => {
      const ids: number[] = (await em.query('SELECT id FROM `lead` WHERE companyId = ?', [companyId])).map((r: Row) => Number(r.id));
      for (let i = 0; i < ids.length; i += 200) await refreshLeadFacts(em, companyId, ids.slice(i, i + 200));
      const rebuilt = await factRows(em, companyId);
      await rebuildRollups(em, companyId, levelA);
      return { facts: rebuilt, rollup: await rollupRows(em, companyId) };
    });
    out.facts.push(...diffFacts(facts, fromSources.facts));
    out.oracle.push(...diffOracle(facts, new Oracle(await loadRaw(ds, companyId), Date.now())));
    out.rollFacts.push(...diffRollups(rollup, fromFacts));
    out.rollSources.push(...diffRollups(rollup, fromSources.rollup));
    n.facts += new Set([...facts.keys(), ...fromSources.facts.keys()]).size;
    n.rollFacts += new Set([...rollup.keys(), ...fromFacts.keys()]).size;
    n.rollSources += new Set([...rollup.keys(), ...fromSources.rollup.keys()]).size;
  }
  return [
    check(2, 'lead_fact = refreshLeadFacts from source rows (leads)', n.facts, out.facts),
    check(2, 'lead_fact touches/stays = metrics oracle from events (leads)', n.facts, out.oracle),
    check(2, 'lead_rollup = rebuild from stored facts (rows)', n.rollFacts, out.rollFacts),
    check(2, 'lead_rollup = rebuild from recomputed facts (rows)', n.rollSources, out.rollSources),
  ];
}

interface AlarmData {
  settings: Map<number, AlarmSettings>;
  leads: any[];
  timers: Map<string, any>;
  cancelledFired: any[];
  alarms: any[];
  alarmCount: Map<string, number>;
  cards: any[];
  digestState: Map<number, string>;
}

async function loadAlarmData(db: mysql.Pool): Promise<AlarmData> {
  const q = async (sql: string) => ((await db.query(sql)) as any)[0] as any[];
  const settings = new Map(
    (await q('SELECT id, settings FROM company')).map((c) => [Number(c.id), alarmSettings(c.settings ? JSON.parse(c.settings).alarms : undefined)] as const),
  );
  const leads = await q(`SELECT l.id, l.companyId, l.status, l.deletedAt, l.ownerId, l.createdAt, l.assignedAt, l.claimedAt, l.firstFollowupAt,
    l.nextStepDueAt, c.grade FROM \`lead\` l JOIN customer c ON c.id = l.customerId`);
  const timerRows = await q('SELECT id, leadId, rule, dueAt, state, firedAt, updatedAt FROM alarm_timer');
  const alarms = await q(`SELECT a.id, a.timerId, a.leadId, a.rule, a.dueAt, a.firedAt, l.ownerId AS leadOwner, l.orgUnitId AS leadUnit
    FROM alarm a JOIN \`lead\` l ON l.id = a.leadId`);
  const alarmCount = new Map<string, number>();
  for (const a of alarms) alarmCount.set(`${a.timerId}|${a.dueAt}`, (alarmCount.get(`${a.timerId}|${a.dueAt}`) ?? 0) + 1);
  return {
    settings,
    leads,
    alarms,
    alarmCount,
    timers: new Map(timerRows.map((t) => [`${t.leadId}|${t.rule}`, t])),
    cancelledFired: timerRows.filter((t) => t.state === 'cancelled' && t.firedAt !== null),
    cards: await q("SELECT alarmId, recipientId, state, digestId, attempts FROM alarm_message WHERE kind = 'card'"),
    digestState: new Map((await q("SELECT id, state FROM alarm_message WHERE kind = 'digest'")).map((d) => [Number(d.id), String(d.state)])),
  };
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Every deadline a lead still wants that fell due before the quiet point: its timer fired it, exactly once. */
function dueAlarms(d: AlarmData, quietAt: number): { expected: number; bad: string[] } {
  const bad: string[] = [];
  let expected = 0;
  for (const l of d.leads) {
    const want = desiredTimers(
      {
        status: l.status,
        deleted: l.deletedAt !== null,
        ownerId: num(l.ownerId),
        grade: l.grade,
        createdAt: Number(l.createdAt),
        assignedAt: num(l.assignedAt),
        claimedAt: num(l.claimedAt),
        firstFollowupAt: num(l.firstFollowupAt),
        nextStepDueAt: num(l.nextStepDueAt),
      },
      d.settings.get(Number(l.companyId))!,
    );
    for (const [rule, due] of Object.entries(want)) {
      if (due > quietAt) continue;
      expected++;
      const t = d.timers.get(`${l.id}|${rule}`);
      const n = t ? (d.alarmCount.get(`${t.id}|${due}`) ?? 0) : 0;
      if (!t) bad.push(`lead ${l.id} ${rule} due ${due}: no timer`);
      else if (Number(t.dueAt) !== due) bad.push(`lead ${l.id} ${rule} due ${due}: timer ${t.id} armed for ${t.dueAt} (${t.state})`);
      else if (n !== 1 || t.state !== 'fired') bad.push(`lead ${l.id} ${rule} due ${due}: timer ${t.id} ${t.state}, ${n} alarms`);
    }
  }
  return { expected, bad };
}

/** Each alarm's cards: one per recipient, delivered (sent, acted, or merged into a sent digest) or withdrawn. */
function cardDelivery(d: AlarmData): { delivered: number; withdrawn: number; bad: string[]; resent: number; unaddressed: string[] } {
  const bad: string[] = [];
  const perRecipient = new Map<string, number>();
  let delivered = 0;
  let withdrawn = 0;
  let resent = 0;
  for (const c of d.cards) {
    const k = `${c.alarmId}|${c.recipientId}`;
    perRecipient.set(k, (perRecipient.get(k) ?? 0) + 1);
    const digest = c.digestId === null ? null : d.digestState.get(Number(c.digestId));
    if (c.state === 'sent' || c.state === 'acted' || (c.state === 'merged' && (digest === 'sent' || digest === 'acted'))) delivered++;
    else if (c.state === 'cancelled') withdrawn++;
    else bad.push(`alarm ${c.alarmId} → user ${c.recipientId}: card ${c.state}${c.digestId ? ` (digest ${c.digestId} ${digest})` : ''}`);
    if ((c.state === 'sent' || c.state === 'acted') && Number(c.attempts) > 1) resent++;
  }
  for (const [k, n] of perRecipient) if (n !== 1) bad.push(`alarm|recipient ${k}: ${n} cards`);
  // An alarm may have nobody to tell (a high-risk warning for a lead with no owner and no team): reported, not failed.
  const withCards = new Set(d.cards.map((c) => Number(c.alarmId)));
  const unaddressed = d.alarms
    .filter((a) => !withCards.has(Number(a.id)))
    .map((a) => `alarm ${a.id} (lead ${a.leadId}, ${a.rule}): no card; lead now owner ${a.leadOwner}, team ${a.leadUnit}`);
  return { delivered, withdrawn, bad, resent, unaddressed };
}

/** Alarms raised although their lead had been followed up (or claimed) before they fired: the deadline was met. */
function staleAlarms(d: AlarmData): string[] {
  const leads = new Map(d.leads.map((l) => [Number(l.id), l]));
  return d.alarms
    .filter((a) => {
      const l = leads.get(Number(a.leadId));
      const touched = num(l?.firstFollowupAt);
      const met = a.rule === 'unclaimed' ? [touched, num(l?.claimedAt)] : a.rule === 'next_step' ? [] : [touched];
      return met.some((t) => t !== null && t < Number(a.firedAt));
    })
    .map(
      (a) =>
        `alarm ${a.id} lead ${a.leadId} ${a.rule} fired ${a.firedAt}, lead followed up/claimed at ${leads.get(Number(a.leadId))?.firstFollowupAt}/${leads.get(Number(a.leadId))?.claimedAt}`,
    );
}

interface Lag {
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** When the slowest one was due (epoch ms), to set beside the kills. */
  maxDueAt: number;
}

/**
 * How late the run's next-step alarms fired: firedAt − (due time, or the follow-up's save when the step was already
 * late). Expected ≤ a tick (1 s) plus a lease (5 s) when the process holding the timer was killed.
 */
async function nextStepLag(db: mysql.Pool): Promise<Lag> {
  const [rows] = (await db.query(
    `SELECT a.firedAt - GREATEST(a.dueAt, f.createdAt) AS lag, GREATEST(a.dueAt, f.createdAt) AS due
      FROM alarm a JOIN followup f ON f.leadId = a.leadId AND f.nextStepAt = a.dueAt
     WHERE a.rule = 'next_step' AND f.clientRequestId LIKE ? ORDER BY lag`,
    [`${KEY_PREFIX}-%`],
  )) as any;
  const lags = rows.map((r: any) => Number(r.lag));
  const at = (p: number) => lags[Math.min(lags.length - 1, Math.max(0, Math.ceil((p / 100) * lags.length) - 1))] ?? 0;
  return { n: lags.length, p50: at(50), p99: at(99), max: lags.at(-1) ?? 0, maxDueAt: Number(rows.at(-1)?.due ?? 0) };
}

/** 3. Every due alarm fired exactly once and was delivered once per recipient. */
async function checkAlarms(db: mysql.Pool, quietAt: number): Promise<{ checks: Check[]; fired: number; delivered: number; withdrawn: number; lag: Lag }> {
  const d = await loadAlarmData(db);
  const due = dueAlarms(d, quietAt);
  const cards = cardDelivery(d);
  // A timer's firedAt stays when it is re-armed for a later deadline, so 'cancelled' with firedAt is normal history
  // when the alarm belongs to an earlier deadline; with an alarm for the timer's current deadline, the timer was
  // fired and then overwritten as cancelled by a change that had read it as still pending.
  const overwritten: string[] = [];
  for (const t of d.cancelledFired.filter((x) => d.alarmCount.has(`${x.id}|${x.dueAt}`))) {
    // The change that cancelled it: the lead's audit rows (and its follow-ups') within 2 s of the timer's updatedAt.
    const [audit] = (await db.query(
      `SELECT a.at, a.entity, a.action, a.field, a.\`after\` FROM audit_log a
       WHERE a.at BETWEEN ? AND ? AND ((a.entity = 'lead' AND a.entityId = ?)
          OR (a.entity = 'followup' AND a.entityId IN (SELECT id FROM followup WHERE leadId = ?))) ORDER BY a.id`,
      [Number(t.updatedAt) - 2000, Number(t.updatedAt) + 2000, t.leadId, t.leadId],
    )) as any;
    const what =
      audit.map((a: any) => `${a.entity} ${a.action} ${a.field ?? ''}${a.after === null ? '' : `=${String(a.after).slice(0, 20)}`} at ${a.at}`).join(', ') ||
      'no audit row of the lead within 2 s';
    overwritten.push(
      `timer ${t.id} (lead ${t.leadId}, ${t.rule}) fired at ${t.firedAt} for due ${t.dueAt}; cancelled at ${t.updatedAt} (${Number(t.updatedAt) - Number(t.firedAt)} ms later) by: ${what}`,
    );
  }
  const checks = [
    check(3, 'due deadlines → exactly one alarm, timer fired', due.expected, due.bad),
    check(3, 'alarm cards: one per recipient, delivered or withdrawn', d.cards.length, cards.bad),
    check(3, "timers 'cancelled' after firing their current deadline", d.cancelledFired.length, overwritten),
    check(
      3,
      "timers 'cancelled' with firedAt of an earlier deadline (info)",
      d.cancelledFired.length,
      d.cancelledFired.filter((t) => !d.alarmCount.has(`${t.id}|${t.dueAt}`)).map((t) => `timer ${t.id} lead ${t.leadId} ${t.rule}`),
      false,
    ),
    check(3, 'alarms with no recipient (info)', d.alarms.length, cards.unaddressed, false),
    check(3, 'alarms raised after their deadline was met (info)', d.alarms.length, staleAlarms(d), false),
    check(
      3,
      'cards sent on a second attempt (info)',
      cards.delivered,
      Array.from({ length: cards.resent }, () => 'resent'),
      false,
    ),
  ];
  return { checks, fired: d.alarms.length, delivered: cards.delivered, withdrawn: cards.withdrawn, lag: await nextStepLag(db) };
}

// ----------------------------------------------------------------------------------------------- report

interface Report {
  startedAt: Date;
  elapsedS: number;
  setupS: number;
  db: string;
  run: RunStats;
  quiet: Quiet;
  alarms: { fired: number; delivered: number; withdrawn: number; lag: Lag };
  checks: Check[];
}

function countsTable(r: Report): (string | number)[][] {
  const { run } = r;
  const rows: (string | number)[][] = [['writes', 'sent', '2xx (final)', 'resent: process killed', 'resent: 503 db_unavailable']];
  for (const k of KINDS) rows.push([k, run.sent[k], run.ok[k], run.retried[k], run.unavailable[k]]);
  const sum = (x: Record<Kind, number>) => KINDS.reduce((a, k) => a + x[k], 0);
  rows.push(['all', sum(run.sent), sum(run.ok), sum(run.retried), sum(run.unavailable)]);
  return rows;
}

function checksTable(r: Report): (string | number)[][] {
  return [
    ['check', 'compared', 'differing / bad', 'result'],
    ...r.checks.map((c) => [`${c.group}. ${c.name}`, c.compared, c.bad, !c.gate ? 'info' : c.bad ? 'FAIL' : 'PASS']),
  ];
}

/** The 503s grouped by the database error behind them (from the servers' logs), then by what the request changed. */
function unavailableWhy(run: RunStats): string {
  const byCode = new Map<string, Map<string, number>>();
  for (const { what, reqId } of run.unavailableIds) {
    const code = dbErrorOf.get(reqId) ?? 'not in the log';
    const m = byCode.get(code) ?? new Map<string, number>();
    byCode.set(code, m.set(what, (m.get(what) ?? 0) + 1));
  }
  if (!byCode.size) return 'none';
  return [...byCode]
    .map(
      ([code, m]) =>
        `${code} ${[...m.values()].reduce((a, b) => a + b, 0)} (${[...m]
          .sort((a, b) => b[1] - a[1])
          .map(([w, n]) => `${w} ${n}`)
          .join(', ')})`,
    )
    .join('; ');
}

/** "3.2 s before" / "1.5 s after": a moment relative to another. */
const relative = (t: number, ref: number) => `${round(Math.abs(t - ref) / 1000, 1)} s ${t < ref ? 'before' : 'after'}`;

/** The longest wait of a write sent within 1 s before to 15 s after a kill (the clients' stall), and the run's median. */
function stallAround(run: RunStats, at: number): { maxMs: number; p50Ms: number } {
  const near = run.latencies.filter((l) => l.at >= at - 1000 && l.at <= at + 15_000).map((l) => l.ms);
  const all = run.latencies.map((l) => l.ms).sort((a, b) => a - b);
  return { maxMs: near.length ? Math.max(...near) : 0, p50Ms: all[Math.floor(all.length / 2)] ?? 0 };
}

function killLine(run: RunStats, k: KillRecord): string {
  const stall = stallAround(run, k.at);
  const who = k.what === 'server' ? `server ${k.proc}` : `database node ${k.proc + 1}`;
  const back = k.what === 'server' ? `back in ${k.downMs} ms` : `down ${NODE_DOWN_MS / 1000} s, rejoined by galera-up.sh in ${k.rejoinMs} ms`;
  return `${who} after ${k.atWrite} writes (${k.inflight} in flight, ${back}; longest client wait around it ${stall.maxMs} ms, run median ${stall.p50Ms} ms)`;
}

function summaryLines(r: Report): string[] {
  const { run, quiet } = r;
  const kills = run.kills.map((k) => killLine(run, k)).join('; ');
  return [
    `writes: ${WRITES} in ${run.durationS} s (offered ${RATE}/s, ≤ ${IN_FLIGHT} in flight), statuses ${JSON.stringify(run.status)}, ${run.unanswered} never answered`,
    `kills: ${run.kills.length} SIGKILL — ${kills || 'none'}`,
    `503 db_unavailable answers by the database error the server logged: ${unavailableWhy(run)}; InnoDB deadlocks during the writes: ${run.deadlocks}`,
    `server warnings/errors logged: ${JSON.stringify(Object.fromEntries(serverLogCounts))}`,
    `quiet after ${quiet.waitedS} s${quiet.timedOut ? ` — TIMED OUT with ${JSON.stringify(quiet.left)}` : ''}; lead_change outbox: ${quiet.leadChangeTable ? 'drained' : 'no such table (skipped)'}`,
    `alarms: ${r.alarms.fired} fired, ${r.alarms.delivered} card copies delivered, ${r.alarms.withdrawn} withdrawn (lead handled before delivery)`,
    `next-step alarms of the run: ${r.alarms.lag.n}, due → fired p50 ${r.alarms.lag.p50} ms, p99 ${r.alarms.lag.p99} ms, max ${r.alarms.lag.max} ms ` +
      `(it was due ${run.kills.map((k, i) => `${relative(r.alarms.lag.maxDueAt, k.at)} SIGKILL ${i + 1}`).join(', ') || 'with no kill'})`,
    `machine load average (1 min) before / after the writes: ${run.load.join(' / ')} on ${os.availableParallelism()} CPUs; other work on the box and` +
      ' on the same MariaDB (InnoDB counters are server-wide) moves the deadlock figures a lot between runs',
  ];
}

function printReport(r: Report): void {
  console.log(
    GALERA
      ? `\nchaos:galera — ${PROCESSES} server processes on a 3-node Galera cluster behind HAProxy, ${WRITES} writes, 2 server and 2 node SIGKILLs\n`
      : `\nbench:chaos — ${PROCESSES} server processes on one MariaDB, ${WRITES} writes, 2 SIGKILLs\n`,
  );
  console.log(textTable(countsTable(r)));
  console.log('');
  for (const l of summaryLines(r)) console.log(l);
  console.log('');
  console.log(textTable(checksTable(r)));
  for (const c of r.checks.filter((x) => x.bad)) {
    console.log(`\n${c.gate ? 'FAIL' : 'info'} ${c.group}. ${c.name}: ${c.bad} — e.g.\n  ${c.samples.join('\n  ')}`);
  }
  if (r.run.samples.length) console.log(`\nnon-2xx / unanswered samples:\n  ${r.run.samples.join('\n  ')}`);
  const failed = r.checks.filter((c) => c.gate && c.bad);
  console.log(
    `\n${failed.length || r.quiet.timedOut ? 'FAIL' : 'PASS'}: ${failed.length} failing checks${r.quiet.timedOut ? ', not quiet in time' : ''}; took ${r.elapsedS} s`,
  );
}

const GALERA_DOC = [
  'Command: `npm run chaos:galera -- --write` (without `--write` it only prints; `CHAOS_MINUTES=2` for a shorter run). Source:',
  '`server/bench/chaos.bench.ts` (`--galera`) and `server/bench/galera-kit.ts`.',
];
const GALERA_WHAT = [
  'What it does: `scripts/galera-up.sh` (3 MariaDB Galera nodes on loopback, `wsrep_auto_increment_control` on: the step is 3,',
  'then 2 while a node is down) and `scripts/galera-lb.sh up` (HAProxy; a node is in service while Synced and ready); a fresh',
  'database, migrated once (as `npm run migrate`), the demo company with history; 3 server processes, server k through the',
  "load balancer's port that prefers node k (so all three nodes take writes); the write mix of `bench:chaos` at the rate shown",
  'for the minutes shown. At 20 % and 60 % of the writes the busiest server is SIGKILLed and restarted 1 s later; at 35 % and',
  '80 % node 2, then node 3 is SIGKILLed, left down 20 s, and brought back by `galera-up.sh` (IST). Checks 1–3 as in bench:chaos;',
  "4. every follow-up answer's id is the stored row's id and its one audit create row is at that id and holds that follow-up;",
  '5. no 5xx, no 503 and no unanswered request reached a client (two nodes always held a majority), and after the run every',
  "table's checksum is the same on the three nodes.",
];

function writeDoc(r: Report): void {
  const gated = r.checks.filter((c) => c.gate);
  const body = [
    ...(GALERA
      ? GALERA_DOC
      : [
          'Command: `npm run bench:chaos -- --write` (without `--write` it only prints; `CHAOS_WRITES=200` for a smoke run, `--keep` keeps the',
          'database). Source: `server/bench/chaos.bench.ts`.',
        ]),
    '',
    `Last run: ${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, took ${r.elapsedS} s (database, seed and 3 servers: ${r.setupS} s).`,
    `Machine: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, MariaDB ${r.db}; servers, MariaDB and the`,
    'load generator share those CPUs.',
    '',
    mdTable(countsTable(r)),
    '',
    ...summaryLines(r).map((l) => `- ${l}`),
    '',
    mdTable(checksTable(r)),
    '',
    gated.some((c) => c.bad) || r.quiet.timedOut
      ? `**FAIL**${r.quiet.timedOut ? ': not quiet in time' : ''}`
      : `**PASS**: all ${gated.length} checks that gate the run (the "info" rows are reported only).`,
    ...gated.filter((c) => c.bad).map((c) => `- **FAIL** ${c.group}. ${c.name}: ${c.bad} of ${c.compared}, e.g. ${c.samples.slice(0, 2).join('; ')}`),
    '',
    ...(GALERA ? [...GALERA_WHAT, '', 'As in bench:chaos:'] : []),
    'What it does: a fresh database `lifeline_test_chaos_<pid>` (migrated, demo company with history; quiet hours off so alarms go',
    'out at any hour, digests and rate limits as default); 3 server processes (`main.ts`, alarm engine in each, local channel) on',
    'it; writes spread round-robin, ≤ 16 in flight: follow-ups (own Idempotency-Key; 20% with a next step up to 9 min late, 25% due',
    'in 2–30 s), admin PATCHes (1–3 of status, owner, campaign, stage, customer city/grade), intakes (new phones; 30% existing',
    "customers' phones), claims by the owner, lead deletes/restores. One customer's writes are never in flight together, so the last acknowledged write",
    'of a field is the last committed. At 30% and 65% of the writes the busiest process is SIGKILLed and restarted 1 s later;',
    'requests it did not answer are resent to another process (same Idempotency-Key / platform lead id); a 503 `db_unavailable`',
    "(Retry-After) is resent up to 3 times after 1 s, as the sidebar's outbox would. Then it waits until no due timer or outbox row",
    'is pending (and `lead_change` is empty where that table exists), stops the servers and checks: 1. every acknowledged write is',
    'stored (last write per field); 2. every `lead_fact` = `refreshLeadFacts` and the metrics oracle (stays from journey events),',
    'every `lead_rollup` row = `rebuildRollups` from the stored and from the recomputed facts (all in rolled-back transactions);',
    '3. every deadline the leads want that fell due before the quiet point has exactly one alarm and a fired timer, each card',
    'reached its recipient once (or was withdrawn), and no timer was marked cancelled after firing its current deadline.',
  ];
  writeDocSection(path.join(ROOT, 'docs/benchmarks.md'), GALERA ? 'chaos:galera' : 'bench:chaos', body.join('\n'), '# Benchmarks\n');
}

// ------------------------------------------------------------------------------------------------- main

/** The server processes; process i on `dbUrls[i % dbUrls.length]`. */
async function startCluster(dbUrls: string[]): Promise<Cluster> {
  const procs: ServerProc[] = [];
  for (let i = 0; i < PROCESSES; i++) procs.push(new ServerProc(i, await freePort(), dbUrls[i % dbUrls.length]));
  // The first alone: it arms the seeded leads' timers (once, when there are none), which must not run three times at once.
  await procs[0].start();
  await Promise.all(procs.slice(1).map((p) => p.start()));
  return new Cluster(procs);
}

async function runChecks(db: mysql.Pool, dbUrl: string, world: World, quiet: Quiet) {
  const ds = await createDataSource({ kind: 'mysql', url: dbUrl }, { poolSize: 2 }).initialize();
  try {
    const lost = await checkNothingLost(db, world.expected);
    const derived = await checkDerived(ds);
    const alarms = await checkAlarms(db, quiet.at);
    return { checks: [...lost, ...derived, ...alarms.checks], alarms };
  } finally {
    await ds.destroy();
  }
}

async function main() {
  const startedAt = new Date();
  const t0 = performance.now();
  if (GALERA) {
    log('Galera cluster and load balancer (scripts/galera-up.sh, scripts/galera-lb.sh) …');
    const up = await galeraUp(ROOT);
    log(`cluster up in ${up.clusterMs} ms, HAProxy in ${up.lbMs} ms`);
  }
  // On Galera everything goes through the load balancer: server k through the port that prefers node k.
  const base = GALERA ? new URL(urlAt(LB_PORTS[0], 'lifeline')) : benchMysqlUrl();
  // `lifeline_test_…`: the database user of scripts/mariadb-up.sh may create and drop only databases named so.
  const dbName = `lifeline_test_chaos_${process.pid}`;
  const admin = await mysql.createConnection(mysqlConnOptions(base));
  let cluster: Cluster | undefined;
  let db: mysql.Pool | undefined;
  const cleanup = async () => {
    await Promise.all((cluster?.procs ?? []).map((p) => p.stop().catch(() => undefined)));
    await db?.end().catch(() => undefined);
    // A fresh connection: the one opened at the start may have gone with a node killed since.
    const dropper = KEEP ? null : await mysql.createConnection(mysqlConnOptions(base)).catch((e) => (log('drop database:', e), null));
    if (dropper) await dropper.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch((e) => log('drop database:', e));
    await dropper?.end().catch(() => undefined);
    if (KEEP) log(`kept database ${dbName}`);
    await admin.end().catch(() => undefined);
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const [[ver]] = (await admin.query('SELECT VERSION() AS v')) as any;
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const dbUrl = new URL(base.toString());
    dbUrl.pathname = `/${dbName}`;
    log(`database ${dbName}: migrating and seeding the demo company …`);
    await prepareDatabase(dbUrl.toString());
    cluster = await startCluster(GALERA ? LB_PORTS.map((port) => urlAt(port, dbName)) : [dbUrl.toString()]);
    db = mysql.createPool({ ...mysqlConnOptions(base, dbName), connectionLimit: 4 });
    const world = await loadWorld(cluster, db);
    const setupS = round((performance.now() - t0) / 1000, 1);
    log(`${PROCESSES} servers up (${setupS} s); ${world.leads.length} leads, ${world.actors.repIds.length} reps; ${WRITES} writes …`);
    const deadlocks = async () => Number(((await db!.query("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")) as any)[0][0]?.Value ?? 0);
    const deadlocks0 = await deadlocks();
    const run = await drive(world, cluster);
    run.deadlocks = (await deadlocks()) - deadlocks0;
    log(`writes done in ${run.durationS} s; waiting for the system to go quiet …`);
    // Not before the last next step planned "within seconds" is due (and a tick has passed): those alarms are checked too.
    await sleep(Math.max(0, world.latestSoonDue + 1500 - Date.now()));
    const quiet = await waitQuiet(db, dbName);
    await Promise.all(cluster.procs.map((p) => p.stop()));
    log('servers stopped; checking …');
    const { checks, alarms } = await runChecks(db, dbUrl.toString(), world, quiet);
    checks.push(...(await checkIdsAndAudit(db, world.expected)));
    if (GALERA) checks.push(...(await checkCluster(run, dbName)));
    const report: Report = { startedAt, elapsedS: round((performance.now() - t0) / 1000, 0), setupS, db: ver.v, run, quiet, alarms, checks };
    printReport(report);
    if (WRITE) writeDoc(report);
    if (quiet.timedOut || checks.some((c) => c.gate && c.bad)) process.exitCode = 1;
  } catch (err) {
    log('FAILED:', err);
    for (const p of cluster?.procs ?? []) log(`server ${p.index} output (tail):\n${p.tail()}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

void main();
