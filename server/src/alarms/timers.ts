import { In, type EntityManager } from 'typeorm';
import { ALARM_RULES, alarmSettings, desiredTimers, type AlarmSettings, type LeadAlarmState } from '@lifeline/shared';
import type { AppContext } from '../context';
import { Lead } from '../leads/lead.entity';
import { Company } from '../companies/company.entity';
import { findByIds, insertRowsPlain, updateManyById } from '../db/rows';
import { forUpdate } from '../db/kind';
import type { ProjectionStep } from '../projector/step';
import { AlarmTimer } from './alarm.entities';

/** The company's alarm settings: `settings.alarms` overrides over the defaults. */
export async function companyAlarmSettings(em: EntityManager, companyId: number): Promise<AlarmSettings> {
  const c = await em.getRepository(Company).findOneBy({ id: companyId });
  return alarmSettings((c?.settings as Record<string, unknown> | undefined)?.alarms);
}

export function leadAlarmState(lead: Lead, grade: string | null): LeadAlarmState {
  return {
    status: lead.status,
    deleted: lead.deletedAt !== null,
    ownerId: lead.ownerId,
    grade,
    createdAt: lead.createdAt,
    assignedAt: lead.assignedAt,
    claimedAt: lead.claimedAt,
    firstFollowupAt: lead.firstFollowupAt,
    nextStepDueAt: lead.nextStepDueAt,
  };
}

/** A lead's timer rows as the projection locked them. */
type TimerRow = { id: number; rule: AlarmTimer['rule']; dueAt: number; state: AlarmTimer['state'] };

/** The timer rows of some leads, locked until commit (MySQL) in one statement, in (leadId, rule) order. */
async function lockTimers(em: EntityManager, leadIds: number[]): Promise<Map<number, TimerRow[]>> {
  const out = new Map<number, TimerRow[]>();
  if (!leadIds.length) return out;
  const rows: { id: number; leadId: number; rule: string; dueAt: number | string; state: string }[] = await em.query(
    `SELECT id, leadId, rule, dueAt, state FROM alarm_timer WHERE leadId IN (${leadIds.map(() => '?').join(', ')}) ORDER BY leadId, rule${forUpdate(em)}`,
    leadIds,
  );
  for (const r of rows) {
    const row = { id: Number(r.id), rule: r.rule as AlarmTimer['rule'], dueAt: Number(r.dueAt), state: r.state as AlarmTimer['state'] };
    out.set(Number(r.leadId), [...(out.get(Number(r.leadId)) ?? []), row]);
  }
  return out;
}

/** The grade of each lead's customer (the high-risk rule depends on it). */
async function gradesOf(em: EntityManager, leads: Lead[]): Promise<Map<number, string | null>> {
  const ids = [...new Set(leads.map((l) => l.customerId))];
  if (!ids.length) return new Map();
  const rows: { id: number; grade: string | null }[] = await em.query(`SELECT id, grade FROM customer WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
  return new Map(rows.map((r) => [Number(r.id), r.grade ?? null]));
}

/**
 * Makes a lead's timer rows (locked by the caller) match what the rules want now: new deadlines are armed, satisfied
 * ones cancelled, moved ones re-armed. A timer that already fired for the same due time stays fired (no second alarm
 * for the same deadline); a fired one whose deadline was satisfied or moved has its undelivered cards withdrawn.
 */
interface TimerWrites {
  arm: Partial<AlarmTimer>[];
  update: { id: number; patch: Partial<AlarmTimer> }[];
  /** Fired timers whose deadline was met or moved: their undelivered cards are withdrawn. */
  withdraw: number[];
}

function syncLeadTimers(lead: Lead, grade: string | null, rows: TimerRow[], now: number, s: AlarmSettings, out: TimerWrites): void {
  const want = desiredTimers(leadAlarmState(lead, grade), s);
  const byRule = new Map(rows.map((r) => [r.rule, r]));
  const arm = out.arm;
  for (const rule of ALARM_RULES) {
    const due = want[rule];
    const row = byRule.get(rule);
    // A fired alarm still waiting for delivery (quiet hours, retries) is withdrawn once its deadline is satisfied or moved.
    if (row && row.state === 'fired' && due !== row.dueAt) out.withdraw.push(row.id);
    if (due === undefined) {
      if (row && row.state === 'pending') out.update.push({ id: row.id, patch: { state: 'cancelled', leaseOwner: null, leaseUntil: null, updatedAt: now } });
      continue;
    }
    if (!row) {
      arm.push({
        companyId: lead.companyId,
        leadId: lead.id,
        rule,
        dueAt: due,
        state: 'pending',
        leaseOwner: null,
        leaseUntil: null,
        firedAt: null,
        createdAt: now,
        updatedAt: now,
      });
    } else if (row.dueAt !== due || row.state === 'cancelled') {
      if (row.state === 'fired' && row.dueAt === due) continue;
      out.update.push({ id: row.id, patch: { dueAt: due, state: 'pending', leaseOwner: null, leaseUntil: null, updatedAt: now } });
    }
  }
}

/** Syncs the timers of some leads of one company: locks their rows first, then reads the leads as committed. */
export async function syncTimers(
  em: EntityManager,
  companyId: number,
  leadIds: number[],
  now: number,
  opts: { settings?: AlarmSettings; afterLock?: () => Promise<void> } = {},
): Promise<void> {
  const locked = await lockTimers(em, leadIds);
  await opts.afterLock?.();
  const settings = opts.settings ?? (await companyAlarmSettings(em, companyId));
  const leads = [...(await findByIds(em, Lead, leadIds)).values()].filter((l) => l.companyId === companyId);
  const grades = await gradesOf(em, leads);
  const writes: TimerWrites = { arm: [], update: [], withdraw: [] };
  for (const lead of leads) syncLeadTimers(lead, grades.get(lead.customerId) ?? null, locked.get(lead.id) ?? [], now, settings, writes);
  // A statement per kind of write, however many leads.
  await withdrawUndelivered(em, writes.withdraw, now);
  await updateManyById(em, AlarmTimer, writes.update);
  await insertRowsPlain(em, AlarmTimer, writes.arm);
}

/**
 * Alarm timers follow each lead's state: the projector syncs them after every committed change (a follow-up,
 * a claim, an assignment…). The timers are locked before the lead is read, and the tick locks them before it fires:
 * a tick that fired first leaves a fired row the sync sees (and withdraws its undelivered cards if the deadline
 * was met); a sync that ran first leaves a cancelled or moved row the tick skips.
 */
export function timersStep(app: Pick<AppContext, 'checkpoints'>): ProjectionStep {
  return {
    name: 'alarm timers',
    project: (em, b) =>
      syncTimers(em, b.companyId, b.leadIds, b.now, {
        settings: alarmSettings(b.companySettings.alarms),
        afterLock: () => app.checkpoints.reach('timers:afterRead'),
      }),
  };
}

/** Cancels the timers' alarm cards still waiting for delivery. */
async function withdrawUndelivered(em: EntityManager, timerIds: number[], now: number): Promise<void> {
  if (!timerIds.length) return;
  await em.query(
    `UPDATE alarm_message SET state = 'cancelled', lastError = ?, leaseOwner = NULL, leaseUntil = NULL, updatedAt = ?
      WHERE kind = 'card' AND state = 'pending' AND alarmId IN (SELECT id FROM alarm WHERE timerId IN (${timerIds.map(() => '?').join(', ')}))`,
    ['线索已处理，提醒撤回', now, ...timerIds],
  );
}

/**
 * One-off arming for leads that existed before the alarm engine (or were bulk-loaded without events):
 * every live lead with no timer rows gets its timers. Runs in batches by id.
 */
export async function backfillTimers(app: AppContext, batch = 500): Promise<number> {
  let after = 0;
  let armed = 0;
  for (;;) {
    const ids: { id: number }[] = await app.ds.query(
      `SELECT l.id FROM \`lead\` l WHERE l.id > ? AND l.deletedAt IS NULL
        AND NOT EXISTS (SELECT 1 FROM alarm_timer t WHERE t.leadId = l.id) ORDER BY l.id LIMIT ${batch}`,
      [after],
    );
    if (!ids.length) return armed;
    after = Number(ids[ids.length - 1].id);
    await app.tx.runRetryingUnique(async (em) => {
      const leads = await em.getRepository(Lead).findBy({ id: In(ids.map((r) => Number(r.id))) });
      const byCompany = new Map<number, number[]>();
      for (const l of leads) byCompany.set(l.companyId, [...(byCompany.get(l.companyId) ?? []), l.id]);
      for (const [companyId, leadIds] of byCompany)
        await syncTimers(
          em,
          companyId,
          leadIds.sort((a, b) => a - b),
          app.clock.now(),
        );
      armed += leads.length;
    });
  }
}
