import { In, IsNull, type EntityManager } from 'typeorm';
import { ALARM_RULE_LABELS, ageLabel, deliverAt, desiredTimers, highRiskLabel, maskPhone } from '@lifeline/shared';
import type { AppContext } from '../context';
import { Lead } from '../leads/lead.entity';
import { Customer } from '../customers/customer.entity';
import { Followup } from '../followups/followup.entity';
import type { User } from '../users/user.entity';
import { personalise, suggestFrom, type SuggestContext } from '../scripts/suggest';
import type { LlmClient } from '../llm';
import { Alarm, AlarmMessage, AlarmTimer, GROUP_RECIPIENT, type AlarmCard, type ChannelKind, type SuggestedScript } from './alarm.entities';
import { recipientsFor } from './recipients';
import type { TickCache } from './tick-cache';
import { insertRowsPlain } from '../db/rows';

export function channelFor(app: AppContext, user: User): ChannelKind {
  if (app.config.wecom && user.wecomUserId) return 'wecom';
  if (app.config.dingtalk && user.dingtalkUserId) return 'dingtalk';
  return 'local';
}

type FireOutcome = 'fired' | 'cancelled' | 'rearmed' | 'skipped';
type Prepared = { card: AlarmCard; scripts: SuggestedScript[] };

/**
 * Raises the alarms for a batch of leased timers, in one transaction: re-checks each lead (a follow-up or
 * claim since the timer was armed means nothing fires), writes the alarms and one outbox row per recipient,
 * and marks the timers fired. A crash before commit leaves the timers pending for the next lease; after
 * commit they are done. Batching keeps a tick's cost proportional to the due timers at a few queries per batch.
 */
export async function fireTimers(app: AppContext, ids: number[], leaseOwner: string, llm: LlmClient | null, cache: TickCache): Promise<FireOutcome[]> {
  const personalised = llm ? await personaliseAhead(app, ids, leaseOwner, llm, cache) : new Map<number, Prepared>();

  // Deadlocks between parallel batches are retried whole; a lost unique race finds the timers already fired.
  return app.tx.runRetryingUnique(async (em) => {
    const now = app.clock.now();
    const lockRead = app.tx.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const timers = (await em.getRepository(AlarmTimer).find({ where: { id: In(ids) }, order: { id: 'ASC' }, ...lockRead }))
      // Still ours and unexpired: a batch that stalled past its lease leaves the timers to their new holder.
      .filter((t) => t.state === 'pending' && t.leaseOwner === leaseOwner && (t.leaseUntil ?? 0) >= now);
    if (!timers.length) return [];
    const leads = new Map((await em.getRepository(Lead).findBy({ id: In(timers.map((t) => t.leadId)) })).map((l) => [l.id, l]));
    const customers = new Map(
      (await em.getRepository(Customer).findBy({ id: In([...new Set([...leads.values()].map((l) => l.customerId))]) })).map((c) => [c.id, c]),
    );
    const lastConclusion = await lastConclusions(em, [...leads.values()]);
    const out: FireOutcome[] = [];
    const cancel: number[] = [];
    const fire: { timer: AlarmTimer; lead: Lead; data: Prepared }[] = [];
    for (const timer of timers) {
      const lead = leads.get(timer.leadId);
      const customer = lead ? customers.get(lead.customerId) : undefined;
      const settings = await cache.settingsOf(timer.companyId);
      const want =
        lead && customer
          ? desiredTimers(
              {
                status: lead.status,
                deleted: lead.deletedAt !== null,
                ownerId: lead.ownerId,
                grade: customer.grade,
                createdAt: lead.createdAt,
                assignedAt: lead.assignedAt,
                claimedAt: lead.claimedAt,
                firstFollowupAt: lead.firstFollowupAt,
                nextStepDueAt: lead.nextStepDueAt,
              },
              settings,
            )[timer.rule]
          : undefined;
      if (!lead || !customer || want === undefined) {
        cancel.push(timer.id);
        out.push('cancelled');
      } else if (want !== timer.dueAt) {
        await em.getRepository(AlarmTimer).update({ id: timer.id }, { dueAt: want, leaseOwner: null, leaseUntil: null, updatedAt: now });
        out.push('rearmed');
      } else {
        const data = personalised.get(timer.id) ?? (await prepare(em, app, timer, lead, cache, customer, lastConclusion.get(lead.id) ?? null));
        fire.push({ timer, lead, data });
        out.push('fired');
      }
    }
    if (cancel.length) {
      await em.getRepository(AlarmTimer).update({ id: In(cancel) }, { state: 'cancelled', leaseOwner: null, leaseUntil: null, updatedAt: now });
    }
    if (!fire.length) return out;
    await insertRowsPlain(
      em,
      Alarm,
      fire.map(({ timer, lead, data }) => ({
        companyId: timer.companyId,
        leadId: lead.id,
        timerId: timer.id,
        rule: timer.rule,
        dueAt: timer.dueAt,
        firedAt: now,
        taskId: `ll${timer.id}t${timer.dueAt}`,
        repId: lead.ownerId,
        card: data.card,
        scripts: data.scripts,
        handledBy: null,
        handledAt: null,
        handledHow: null,
      })),
    );
    // Ids by the unique task id (portable: no reliance on multi-row insert ids).
    const alarmIds = new Map(
      (
        await em.getRepository(Alarm).find({ where: { taskId: In(fire.map((f) => `ll${f.timer.id}t${f.timer.dueAt}`)) }, select: { id: true, timerId: true } })
      ).map((a) => [a.timerId, a.id]),
    );
    const messages = await outboxRows(app, fire, alarmIds, now, cache);
    for (let i = 0; i < messages.length; i += 500) await insertRowsPlain(em, AlarmMessage, messages.slice(i, i + 500));
    await em
      .getRepository(AlarmTimer)
      .update({ id: In(fire.map((f) => f.timer.id)) }, { state: 'fired', firedAt: now, leaseOwner: null, leaseUntil: null, updatedAt: now });
    return out;
  }, 'alarms.fire');
}

/** The card snapshot and library suggestions (variables filled) for a timer's lead. */
async function prepare(em: EntityManager, app: AppContext, timer: AlarmTimer, lead: Lead, cache: TickCache, known?: Customer, conclusion?: string | null) {
  const customer = known ?? (await em.getRepository(Customer).findOneByOrFail({ id: lead.customerId }));
  const rep = lead.ownerId ? ((await cache.directoryOf(lead.companyId)).users.get(lead.ownerId) ?? null) : null;
  const last =
    conclusion !== undefined
      ? { conclusion }
      : lead.lastFollowupAt === null
        ? null
        : await em
            .getRepository(Followup)
            .findOne({ where: { leadId: lead.id, companyId: lead.companyId, deletedAt: IsNull() }, order: { createdAt: 'DESC' } });
  const card: AlarmCard = {
    leadName: customer.name ?? '未命名客户',
    maskedPhone: maskPhone(customer.phone),
    channel: lead.channel,
    age: ageLabel(app.clock.now() - lead.createdAt),
    ruleLabel: timer.rule === 'high_risk' ? highRiskLabel(customer.grade, await cache.settingsOf(lead.companyId)) : ALARM_RULE_LABELS[timer.rule],
    repName: rep?.name ?? null,
    grade: customer.grade,
    nextStepAction: timer.rule === 'next_step' ? lead.nextStepAction : null,
  };
  const courses = (await cache.directoryOf(lead.companyId)).courses;
  const ctx: SuggestContext = { lead, customer, repName: rep?.name ?? null, lastConclusion: last?.conclusion ?? null, ruleLabel: card.ruleLabel, courses };
  return { card, scripts: suggestFrom(await cache.scriptsOf(lead.companyId), ctx), ctx };
}

/** Model calls are made before the transaction, so no lock is held while they run. */
async function personaliseAhead(app: AppContext, ids: number[], leaseOwner: string, llm: LlmClient, cache: TickCache): Promise<Map<number, Prepared>> {
  const personalised = new Map<number, Prepared>();
  for (const pre of await app.ds.getRepository(AlarmTimer).findBy({ id: In(ids), leaseOwner })) {
    const lead = await app.ds.getRepository(Lead).findOneBy({ id: pre.leadId });
    if (!lead) continue;
    const base = await prepare(app.ds.manager, app, pre, lead, cache, undefined, undefined);
    personalised.set(pre.id, { card: base.card, scripts: await personalise(llm, base.scripts, base.ctx) });
  }
  return personalised;
}

/** Each followed-up lead's latest conclusion (for the card and the model prompt). */
async function lastConclusions(em: EntityManager, leads: Lead[]): Promise<Map<number, string>> {
  const touched = leads.filter((l) => l.lastFollowupAt !== null).map((l) => l.id);
  const lastConclusion = new Map<number, string>();
  if (touched.length) {
    const rows: { leadId: number; conclusion: string }[] = await em.query(
      `SELECT leadId, conclusion FROM followup WHERE leadId IN (${touched.map(() => '?').join(',')}) AND deletedAt IS NULL ORDER BY createdAt ASC, id ASC`,
      touched,
    );
    for (const r of rows) lastConclusion.set(Number(r.leadId), r.conclusion);
  }
  return lastConclusion;
}

/** One outbox row per recipient of each fired alarm, plus the supervisors' group robots for supervisor-facing rules. */
async function outboxRows(app: AppContext, fire: { timer: AlarmTimer; lead: Lead }[], alarmIds: Map<number, number>, now: number, cache: TickCache) {
  const messages = [];
  for (const { timer, lead } of fire) {
    const alarmId = alarmIds.get(timer.id)!;
    const when = deliverAt(now, timer.rule, await cache.settingsOf(timer.companyId));
    for (const r of recipientsFor(await cache.directoryOf(timer.companyId), timer.rule, lead)) {
      messages.push({
        companyId: timer.companyId,
        alarmId,
        recipientId: r.user.id,
        kind: 'card' as const,
        channel: channelFor(app, r.user),
        state: 'pending' as const,
        attempts: 0,
        nextAttemptAt: when,
        lastError: null,
        sentAt: null,
        actedAt: null,
        platformRef: null,
        digestId: null,
        leaseOwner: null,
        leaseUntil: null,
        payload: { role: r.role, rule: timer.rule } as AlarmMessage['payload'],
        dedupeKey: `card:${alarmId}:${r.user.id}`,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
  // Supervisor-facing rules also go to the supervisors' group robots, when configured.
  const groups = (['wecom_grp', 'ding_grp'] as const).filter((g) =>
    g === 'wecom_grp' ? !!app.config.alarms?.wecomGroupRobotUrl : !!app.config.alarms?.dingtalkRobotWebhook,
  );
  for (const { timer } of fire.filter((f) => f.timer.rule === 'high_risk' || f.timer.rule === 'unclaimed')) {
    const alarmId = alarmIds.get(timer.id)!;
    for (const g of groups) {
      messages.push({
        companyId: timer.companyId,
        alarmId,
        recipientId: GROUP_RECIPIENT[g],
        kind: 'card' as const,
        channel: g,
        state: 'pending' as const,
        attempts: 0,
        nextAttemptAt: deliverAt(now, timer.rule, await cache.settingsOf(timer.companyId)),
        lastError: null,
        sentAt: null,
        actedAt: null,
        platformRef: null,
        digestId: null,
        leaseOwner: null,
        leaseUntil: null,
        payload: { role: 'group', rule: timer.rule } as AlarmMessage['payload'],
        dedupeKey: `group:${alarmId}:${g}`,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
  return messages;
}
