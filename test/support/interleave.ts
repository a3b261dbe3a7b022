// Helpers for race tests (test/server/races.test.ts): wait, with a timeout, for a held transaction to arrive, for
// another to block on its locks, and compare derived state (facts, rollups, alarm timers) with what the source rows say.
import { DEFAULT_LEVEL_A, alarmSettings, desiredTimers } from '@lifeline/shared';
import { refreshLeadFacts } from '../../server/src/metrics/facts';
import { MEASURE_NAMES, rebuildRollups } from '../../server/src/metrics/rollup';
import type { Harness } from './harness';

/** How long any one wait of a race test may take before the test fails (instead of hanging). */
export const WAIT_MS = 10_000;

/** `p`, or a failure naming `what` after `ms`. */
export function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A promise started without awaiting it, whose completion can be looked at. */
export interface Started<T> {
  promise: Promise<T>;
  done: boolean;
}

export function started<T>(p: Promise<T>): Started<T> {
  const s: Started<T> = { promise: p, done: false };
  p.then(
    () => (s.done = true),
    () => (s.done = true),
  );
  return s;
}

/** Polls `cond` until true; throws after `ms`. */
export async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, ms = WAIT_MS): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Statements of this test's database, on other connections, in flight for at least `minMs` (MariaDB/MySQL). The
 * statements of these tests take well under a millisecond: one still running after `minMs` waits for a row lock.
 * (information_schema.INNODB_TRX would name the LOCK WAIT directly but needs the PROCESS privilege, which the test
 * user does not have; PROCESSLIST shows one's own connections without it.)
 */
export async function stuckStatements(h: Harness, like = '%', minMs = 100): Promise<string[]> {
  const rows: { INFO: string }[] = await h.ds.query(
    `SELECT INFO FROM information_schema.PROCESSLIST
      WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND = 'Query' AND TIME_MS >= ? AND INFO LIKE ?`,
    [minMs, like],
  );
  return rows.map((r) => String(r.INFO));
}

/**
 * Waits until `racer` blocks on a row lock (a statement matching `like` is stuck) or finishes. Returns which, so a test
 * can say whether the second transaction had to wait for the held one.
 */
export async function blockedOrDone(h: Harness, racer: Started<unknown>, like = '%'): Promise<'blocked' | 'done'> {
  let outcome: 'blocked' | 'done' | null = null;
  await waitUntil(`a statement like ${like} to block, or the racing request to finish`, async () => {
    if (racer.done) outcome = 'done';
    else if ((await stuckStatements(h, like)).length) outcome = 'blocked';
    return outcome !== null;
  });
  return outcome!;
}

/**
 * Forces one interleaving: `first` runs until it reaches checkpoint `point` and is held there; `second` then runs
 * against it until it blocks on a row lock or finishes; `first` is let go. Returns both results (every wait times out,
 * and the hold is released whatever happens).
 */
export async function holdAndRace<A, B>(h: Harness, point: string, first: () => Promise<A>, second: () => Promise<B>): Promise<[A, B]> {
  const hold = h.gate.hold(point);
  let a!: Started<A>;
  let b!: Started<B>;
  try {
    a = started(first());
    await within(hold.reached, `${point} to be reached`);
    b = started(second());
    await blockedOrDone(h, b);
  } finally {
    hold.release();
  }
  return [await within(a.promise, `the transaction held at ${point}`), await within(b.promise, 'the racing work')];
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/**
 * Differences between the stored lead_fact and lead_rollup rows and a recomputation from the source rows (facts by
 * `refreshLeadFacts` over every lead, the rollup rebuilt from those facts), as readable lines; none when they agree.
 * The recomputation runs in a transaction that is rolled back: the stored rows stay as the race left them.
 */
export async function metricsDrift(h: Harness): Promise<string[]> {
  const companyId = h.seed.companyId;
  const cols = MEASURE_NAMES.join(', ');
  const readFacts = async (q: (sql: string) => Promise<Record<string, unknown>[]>) =>
    new Map((await q('SELECT * FROM lead_fact ORDER BY leadId')).map((r) => [Number(r.leadId), r]));
  const readRollup = async (q: (sql: string) => Promise<Record<string, unknown>[]>) =>
    new Map(
      (await q(`SELECT shape, day, ownerId, orgUnitId, dim, ${cols} FROM lead_rollup`))
        .filter((r) => MEASURE_NAMES.some((m) => Number(r[m]) !== 0))
        .map((r) => [`${r.shape}/${r.day}/owner ${r.ownerId}/unit ${r.orgUnitId}/${r.dim}`, r]),
    );
  const stored = { facts: await readFacts((sql) => h.ds.query(sql)), rollup: await readRollup((sql) => h.ds.query(sql)) };
  const qr = h.ds.createQueryRunner();
  await qr.connect();
  await qr.startTransaction();
  let again: typeof stored;
  try {
    const em = qr.manager;
    const ids = (await em.query('SELECT id FROM `lead` WHERE companyId = ?', [companyId])).map((r: { id: unknown }) => Number(r.id));
    await refreshLeadFacts(em, companyId, ids);
    await rebuildRollups(em, companyId, DEFAULT_LEVEL_A);
    again = { facts: await readFacts((sql) => em.query(sql)), rollup: await readRollup((sql) => em.query(sql)) };
  } finally {
    await qr.rollbackTransaction();
    await qr.release();
  }
  const out: string[] = [];
  for (const id of new Set([...stored.facts.keys(), ...again.facts.keys()])) {
    const [a, b] = [stored.facts.get(id), again.facts.get(id)];
    if (!a || !b) {
      out.push(`lead_fact ${id}: ${a ? 'stored' : 'missing'}, recomputation ${b ? 'has it' : 'has none'}`);
      continue;
    }
    for (const k of Object.keys(b)) {
      if (k !== 'updatedAt' && text(a[k]) !== text(b[k])) out.push(`lead_fact ${id} ${k}: stored ${text(a[k])}, recomputed ${text(b[k])}`);
    }
  }
  for (const key of new Set([...stored.rollup.keys(), ...again.rollup.keys()])) {
    const [a, b] = [stored.rollup.get(key), again.rollup.get(key)];
    for (const m of MEASURE_NAMES) {
      const [x, y] = [Number(a?.[m] ?? 0), Number(b?.[m] ?? 0)];
      if (x !== y) out.push(`lead_rollup ${key} ${m}: stored ${x}, recomputed ${y}`);
    }
  }
  return out;
}

/**
 * What is wrong with the alarm state of some leads, as readable lines; none when it is right:
 * - a timer whose alarm fired for its current deadline is `fired`, with that alarm's firedAt;
 * - a fired timer has exactly one alarm row for its deadline;
 * - an alarm whose deadline the lead no longer has (satisfied or moved) has no card still waiting for delivery.
 */
export async function alarmDrift(h: Harness, leadIds: number[]): Promise<string[]> {
  const out: string[] = [];
  const ids = leadIds.join(',');
  const timers: Record<string, unknown>[] = await h.ds.query(`SELECT * FROM alarm_timer WHERE leadId IN (${ids}) ORDER BY id`);
  const alarms: Record<string, unknown>[] = await h.ds.query(`SELECT * FROM alarm WHERE leadId IN (${ids}) ORDER BY id`);
  for (const a of alarms) {
    const t = timers.find((x) => Number(x.id) === Number(a.timerId));
    if (!t) {
      out.push(`alarm ${a.id} (${a.rule}): its timer ${a.timerId} is gone`);
      continue;
    }
    if (Number(t.dueAt) !== Number(a.dueAt)) continue; // re-armed for a later deadline since: a new cycle
    if (t.state !== 'fired') out.push(`timer ${t.id} (${t.rule}) fired at ${a.firedAt} (alarm ${a.id}) but is now ${t.state}`);
    if (text(t.firedAt) !== text(a.firedAt)) out.push(`timer ${t.id} (${t.rule}) firedAt ${text(t.firedAt)}, its alarm fired at ${text(a.firedAt)}`);
  }
  for (const t of timers.filter((x) => x.state === 'fired')) {
    const n = alarms.filter((a) => Number(a.timerId) === Number(t.id) && Number(a.dueAt) === Number(t.dueAt)).length;
    if (n !== 1) out.push(`timer ${t.id} (${t.rule}) fired with ${n} alarm rows for its deadline`);
  }
  const [company] = await h.ds.query('SELECT settings FROM company WHERE id = ?', [h.seed.companyId]);
  const settings = alarmSettings(company?.settings ? JSON.parse(company.settings).alarms : undefined);
  for (const a of alarms) {
    const [l] = await h.ds.query('SELECT l.*, c.grade FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE l.id = ?', [a.leadId]);
    const n = (v: unknown) => (v === null ? null : Number(v));
    const want = desiredTimers(
      {
        status: l.status,
        deleted: l.deletedAt !== null,
        ownerId: n(l.ownerId),
        grade: l.grade,
        createdAt: Number(l.createdAt),
        assignedAt: n(l.assignedAt),
        claimedAt: n(l.claimedAt),
        firstFollowupAt: n(l.firstFollowupAt),
        nextStepDueAt: n(l.nextStepDueAt),
      },
      settings,
    )[a.rule as keyof ReturnType<typeof desiredTimers>];
    if (want === Number(a.dueAt)) continue;
    const pending = await h.count('alarm_message', "alarmId = ? AND kind = 'card' AND state = 'pending'", [a.id]);
    if (pending) out.push(`alarm ${a.id} (${a.rule}): its deadline was satisfied, yet ${pending} card(s) still wait for delivery`);
  }
  return out;
}

/** The lead's journey stays, in order, as `node enteredAt→leftAt`; and what is wrong with their chain. */
export async function stayDrift(h: Harness, leadId: number): Promise<{ stays: string[]; problems: string[] }> {
  const rows: { id: unknown; node: string; enteredAt: unknown; leftAt: unknown }[] = await h.ds.query(
    'SELECT id, node, enteredAt, leftAt FROM journey_stay WHERE leadId = ? ORDER BY enteredAt, id',
    [leadId],
  );
  const [lead] = await h.ds.query('SELECT journeyNode FROM `lead` WHERE id = ?', [leadId]);
  const stays = rows.map((r) => `${r.node} ${r.enteredAt}→${r.leftAt ?? 'open'}`);
  const problems: string[] = [];
  const open = rows.filter((r) => r.leftAt === null);
  if (open.length !== 1) problems.push(`${open.length} open stays (leftAt NULL), want 1`);
  rows.forEach((r, i) => {
    const next = rows[i + 1];
    if (next && text(r.leftAt) !== text(next.enteredAt))
      problems.push(`stay ${r.node} left at ${r.leftAt ?? 'never'}, next stay (${next.node}) entered at ${next.enteredAt}`);
  });
  const last = rows.at(-1);
  if (last && (last.leftAt !== null || last.node !== lead.journeyNode)) problems.push(`last stay ${stays.at(-1)}, lead is at ${lead.journeyNode}`);
  return { stays, problems };
}
