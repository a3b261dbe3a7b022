import { In, type EntityManager } from 'typeorm';
import { ALARM_RULES, alarmSettings, desiredTimers, type AlarmSettings, type LeadAlarmState } from '@lifeline/shared';
import type { AppContext } from '../context';
import { Lead } from '../leads/lead.entity';
import { Company } from '../companies/company.entity';
import { deferWrite } from '../db/statement-batch';
import { insertRowsLater, updateById } from '../db/rows';
import { AlarmTimer } from './alarm.entities';

/** The company's alarm settings: `settings.alarms` overrides over the defaults. */
export async function companyAlarmSettings(em: EntityManager, companyId: number): Promise<AlarmSettings> {
  const c = await em.getRepository(Company).findOneBy({ id: companyId });
  return alarmSettings((c?.settings as Record<string, unknown> | undefined)?.alarms);
}

function leadAlarmState(lead: Lead, grade: string | null): LeadAlarmState {
  return {
    status: lead.status, deleted: lead.deletedAt !== null, ownerId: lead.ownerId, grade,
    createdAt: lead.createdAt, assignedAt: lead.assignedAt, claimedAt: lead.claimedAt,
    firstFollowupAt: lead.firstFollowupAt, nextStepDueAt: lead.nextStepDueAt,
  };
}

/**
 * Makes the lead's timer rows match what the rules want now, with the caller's transaction: new deadlines
 * are armed, satisfied ones cancelled, moved ones re-armed. A timer that already fired for the same due
 * time stays fired (no second alarm for the same deadline).
 */
/** What a timer sync reads: the customer's grade (the high-risk rule) and the lead's timer rows (none: one row of nulls). */
type TimerRead = { grade: string | null; id: number | null; rule: string | null; dueAt: number | string | null; state: string | null }[];

/** The timer reads of several leads in one statement (a group of saves syncs all its leads at commit). */
async function readTimers(em: EntityManager, leadIds: number[]): Promise<Map<number, TimerRead>> {
  const out = new Map<number, TimerRead>();
  if (!leadIds.length) return out;
  const rows: (TimerRead[number] & { leadId: number | string })[] = await em.query(
    `SELECT l.id AS leadId, c.grade, t.id, t.rule, t.dueAt, t.state
       FROM \`lead\` l JOIN customer c ON c.id = l.customerId LEFT JOIN alarm_timer t ON t.leadId = l.id
      WHERE l.id IN (${leadIds.map(() => '?').join(', ')})`,
    leadIds,
  );
  for (const { leadId, ...r } of rows) out.set(Number(leadId), [...(out.get(Number(leadId)) ?? []), r]);
  return out;
}

export async function syncLeadTimers(
  em: EntityManager, lead: Lead, now: number, settings?: AlarmSettings, born?: { grade: string | null }, read?: TimerRead,
): Promise<void> {
  const s = settings ?? (await companyAlarmSettings(em, lead.companyId));
  // A lead created in this transaction has no timer rows yet, and its customer's grade is known.
  const found: TimerRead = born
    ? [{ grade: born.grade, id: null, rule: null, dueAt: null, state: null }]
    : read ?? await em.query(
      `SELECT c.grade, t.id, t.rule, t.dueAt, t.state FROM customer c LEFT JOIN alarm_timer t ON t.leadId = ? WHERE c.id = ?`,
      [lead.id, lead.customerId],
    );
  const want = desiredTimers(leadAlarmState(lead, found[0]?.grade ?? null), s);
  const rows = found.filter((r) => r.id !== null).map((r) => ({ id: Number(r.id), rule: r.rule as AlarmTimer['rule'], dueAt: Number(r.dueAt), state: r.state as AlarmTimer['state'] }));
  const byRule = new Map(rows.map((r) => [r.rule, r]));
  const arm: Partial<AlarmTimer>[] = [];
  for (const rule of ALARM_RULES) {
    const due = want[rule];
    const row = byRule.get(rule);
    // A fired alarm still waiting for delivery (quiet hours, retries) is withdrawn once its deadline is satisfied or moved.
    if (row && row.state === 'fired' && due !== row.dueAt) await withdrawUndelivered(em, row.id, now);
    if (due === undefined) {
      if (row && row.state === 'pending') await updateById(em, AlarmTimer, row.id, { state: 'cancelled', leaseOwner: null, leaseUntil: null, updatedAt: now });
      continue;
    }
    if (!row) {
      arm.push({ companyId: lead.companyId, leadId: lead.id, rule, dueAt: due, state: 'pending', leaseOwner: null, leaseUntil: null, firedAt: null, createdAt: now, updatedAt: now });
    } else if (row.dueAt !== due || row.state === 'cancelled') {
      if (row.state === 'fired' && row.dueAt === due) continue;
      await updateById(em, AlarmTimer, row.id, { dueAt: due, state: 'pending', leaseOwner: null, leaseUntil: null, updatedAt: now });
    }
  }
  // New deadlines in one statement: an intake arms up to three.
  await insertRowsLater(em, AlarmTimer, arm);
}

/** Cancels the timer's alarm cards still waiting for delivery; queued with the transaction's next statement. */
async function withdrawUndelivered(em: EntityManager, timerId: number, now: number): Promise<void> {
  await deferWrite(em,
    `UPDATE alarm_message SET state = 'cancelled', lastError = ?, leaseOwner = NULL, leaseUntil = NULL, updatedAt = ?
      WHERE kind = 'card' AND state = 'pending' AND alarmId IN (SELECT id FROM alarm WHERE timerId = ?)`,
    ['线索已处理，提醒撤回', now, timerId]);
}

/** Timers are written in the transaction of every lead and follow-up change (domain events). */
export function subscribeAlarmTimers(app: AppContext): void {
  // A lead's timers follow its state at commit: an intake that creates and then assigns a lead syncs once.
  const latest = new WeakMap<EntityManager, Map<number, { lead: Lead; at: number; settings?: AlarmSettings }>>();
  // Leads created in this transaction (no timer rows can exist yet) and their customer's grade.
  const born = new WeakMap<EntityManager, Map<number, { customerId: number; grade: string | null }>>();
  app.events.on(async (em, event, meta) => {
    if (event.type === 'lead.created') {
      if (!born.has(em)) born.set(em, new Map());
      born.get(em)!.set(event.lead.id, { customerId: event.customer.id, grade: event.customer.grade ?? null });
    }
    if (event.type === 'customer.updated') {
      for (const b of born.get(em)?.values() ?? []) if (b.customerId === event.customer.id) b.grade = event.customer.grade ?? null;
      // Customer edits also arrive as lead.updated for the edited lead; other leads' timers do not depend on them.
      return;
    }
    const known = meta.companySettings as { alarms?: unknown } | undefined;
    let byLead = latest.get(em);
    if (!byLead) latest.set(em, (byLead = new Map()));
    const prev = byLead.get(event.lead.id);
    byLead.set(event.lead.id, { lead: event.lead, at: meta.at, settings: known ? alarmSettings(known.alarms) : prev?.settings });
    // Every lead's timers at commit, with one read for all of them (this runs in every save).
    await app.tx.beforeCommit(em, 'alarms:timers', async () => {
      const entries = [...(latest.get(em) ?? new Map()).values()];
      latest.delete(em);
      const fresh = born.get(em);
      born.delete(em); // once armed, their rows exist: a later sync reads them
      const reads = await readTimers(em, entries.filter((e) => !fresh?.has(e.lead.id)).map((e) => e.lead.id));
      await app.checkpoints.reach('timers:afterRead');
      for (const e of entries) await syncLeadTimers(em, e.lead, e.at, e.settings, fresh?.get(e.lead.id), reads.get(e.lead.id));
    });
  });
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
    await app.tx.run(async (em) => {
      const leads = await em.getRepository(Lead).findBy({ id: In(ids.map((r) => Number(r.id))) });
      const settings = new Map<number, AlarmSettings>();
      for (const lead of leads) {
        if (!settings.has(lead.companyId)) settings.set(lead.companyId, await companyAlarmSettings(em, lead.companyId));
        await syncLeadTimers(em, lead, app.clock.now(), settings.get(lead.companyId));
        armed++;
      }
    });
  }
}
