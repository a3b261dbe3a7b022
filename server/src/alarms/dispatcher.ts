import { In, MoreThan } from 'typeorm';
import { groupHighRisk, type AlarmSettings } from '@lifeline/shared';
import type { AppContext } from '../context';
import { User } from '../users/user.entity';
import { Alarm, AlarmMessage, type ChannelKind } from './alarm.entities';
import { DeliveryError, type AlarmChannel, type Outgoing } from './channel';
import { AlreadyDelivered } from '../platforms/wecom/messages';
import { claimDue, leaseName } from './lease';
import { companyAlarmSettings } from './timers';
import { alarmLinks } from './links';

const MAX_ATTEMPTS = 8;
type Batch = { alarms: Map<number, Alarm>; users: Map<number, User> };
/** 5 s, 10 s, 20 s … capped at 10 minutes. */
export const backoffMs = (attempts: number) => Math.min(600_000, 5000 * 2 ** Math.max(0, attempts - 1));

/**
 * Delivers due outbox rows under a lease. Per recipient it coalesces a burst (or anything past the
 * per-member rate) into one digest, groups high-risk warnings per rep, retries with exponential backoff,
 * and records a permanent failure with its reason.
 */
export class Dispatcher {
  constructor(
    private readonly app: AppContext, private readonly channels: Record<ChannelKind, AlarmChannel>, private readonly leaseMs = 60_000,
    private readonly parallel = 8,
  ) {}

  private mergeTail: Promise<unknown> = Promise.resolve();

  async run(limit = 500): Promise<{ sent: number; failed: number; retried: number }> {
    const now = this.app.clock.now();
    const holder = leaseName('msg');
    const ids = await claimDue(this.app, 'alarm_message', 'nextAttemptAt', holder, now, this.leaseMs, limit);
    const stats = { sent: 0, failed: 0, retried: 0 };
    if (!ids.length) return stats;
    const msgs = await this.app.ds.getRepository(AlarmMessage).findBy({ id: In(ids) });
    // One read of the alarms and people this batch needs, instead of one per message.
    const alarmIds = [...new Set(msgs.map((m) => m.alarmId).filter((x): x is number => x !== null))];
    const alarms = alarmIds.length ? await this.app.ds.getRepository(Alarm).findBy({ id: In(alarmIds) }) : [];
    const users = await this.app.ds.getRepository(User).findBy({ id: In([...new Set(msgs.map((m) => m.recipientId))]) });
    const batch = { alarms: new Map(alarms.map((a) => [a.id, a])), users: new Map(users.map((u) => [u.id, u])) };
    const byRecipient = new Map<number, AlarmMessage[]>();
    for (const m of msgs) byRecipient.set(m.recipientId, [...(byRecipient.get(m.recipientId) ?? []), m]);
    const settingsCache = new Map<number, AlarmSettings>();
    // Recipients are independent: on MySQL several are served at once; one recipient's messages stay in order.
    const queue = [...byRecipient.entries()];
    const parallel = this.app.tx.kind === 'mysql' ? this.parallel : 1;
    let failure: unknown = null;
    await Promise.all(Array.from({ length: parallel }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        // One recipient's trouble must not hold up the others; its leased rows are retaken when the lease ends.
        await this.serve(next[0], next[1], now, holder, settingsCache, stats, batch).catch((err) => (failure ??= err));
      }
    }));
    if (failure) throw failure;
    return stats;
  }

  private async serve(
    recipientId: number, group: AlarmMessage[], now: number, holder: string, settingsCache: Map<number, AlarmSettings>,
    stats: { sent: number; failed: number; retried: number }, batch: Batch,
  ) {
    const companyId = group[0].companyId;
    if (!settingsCache.has(companyId)) settingsCache.set(companyId, await companyAlarmSettings(this.app.ds.manager, companyId));
    const s = settingsCache.get(companyId)!;
    const sentSince = (ms: number) => this.app.ds.getRepository(AlarmMessage).count({ where: { recipientId, sentAt: MoreThan(now - ms) } });
    const recent = await sentSince(60_000);
    const lastHour = await sentSince(3600_000);
    let list = await this.coalesce(group, s, recent, holder, batch);
    // Group robots allow 20 messages/min; people 30/min and 1000/h on WeCom (all kept under with a margin).
    const limit = recipientId < 0 ? Math.min(18, s.perMemberPerMinute) : s.perMemberPerMinute;
    if (recent >= limit || lastHour >= s.perMemberPerHour) {
      // Over WeCom's per-member rate: wait rather than have the platform drop it silently.
      await this.release(list.map((m) => m.id), holder, now + (lastHour >= s.perMemberPerHour ? 5 * 60_000 : 60_000));
      return;
    }
    list = list.slice(0, Math.max(1, Math.min(limit - recent, s.perMemberPerHour - lastHour)));
    for (const m of list) stats[await this.deliver(m, holder, batch)]++;
    const left = group.filter((g) => !list.includes(g) && g.state === 'pending').map((g) => g.id);
    if (left.length) await this.release(left, holder, now + 60_000);
  }

  private async release(ids: number[], holder: string, at: number) {
    if (!ids.length) return;
    await this.app.tx.runRetryingUnique((em) => em.createQueryBuilder().update(AlarmMessage)
      .set({ leaseOwner: null, leaseUntil: null, nextAttemptAt: at })
      .where({ id: In(ids), leaseOwner: holder, state: 'pending' }).execute());
  }

  /** Turns several cards to one person into digests: high-risk warnings per rep, and bursts over the limit. */
  private async coalesce(group: AlarmMessage[], s: AlarmSettings, recent: number, holder: string, batch: Batch): Promise<AlarmMessage[]> {
    const cards = group.filter((m) => m.kind === 'card');
    const rest = group.filter((m) => m.kind !== 'card');
    const alarmOf = batch.alarms;
    const highRisk = cards.filter((c) => alarmOf.get(c.alarmId!)?.rule === 'high_risk');
    const out: AlarmMessage[] = [...rest];
    let others = cards.filter((c) => !highRisk.includes(c));
    if (highRisk.length >= 2) {
      const groups = groupHighRisk(highRisk.map((c) => {
        const a = alarmOf.get(c.alarmId!)!;
        return { repName: a.card.repName ?? '未分配', grade: a.card.grade ?? '', leadName: a.card.leadName };
      }), s.highRiskHours);
      out.push(await this.merge(highRisk, '高风险线索预警', groups.map((g) => `${g.line}：${g.leads.join('、')}`), holder));
    } else others = [...others, ...highRisk];
    if (others.length > s.digestAbove || (others.length > 1 && recent + others.length + out.length > s.perMemberPerMinute)) {
      const lines = others.map((c) => {
        const a = alarmOf.get(c.alarmId!)!;
        return `${a.card.leadName}（${a.card.maskedPhone}，${a.card.channel}）${a.card.ruleLabel}${a.card.repName ? `，负责人${a.card.repName}` : ''}`;
      });
      out.push(await this.merge(others, `${others.length} 条线索需要跟进`, lines, holder));
    } else out.push(...others);
    return out;
  }

  private async merge(cards: AlarmMessage[], title: string, lines: string[], holder: string): Promise<AlarmMessage> {
    const now = this.app.clock.now();
    const first = cards[0];
    // Merges insert into and update the same indexes; run them one at a time in this process (InnoDB would
    // otherwise deadlock parallel ones on index gap locks) and retry the rare cross-process deadlock.
    const run = this.mergeTail.then(() => this.app.tx.runRetryingUnique(async (em) => {
      const digest = em.getRepository(AlarmMessage).create({
        companyId: first.companyId, alarmId: null, recipientId: first.recipientId, kind: 'digest', channel: first.channel,
        state: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, sentAt: null, actedAt: null, platformRef: null,
        digestId: null, leaseOwner: holder, leaseUntil: now + this.leaseMs,
        payload: { title, lines, alarmIds: cards.map((c) => c.alarmId) },
        dedupeKey: `digest:${first.recipientId}:${Math.min(...cards.map((c) => c.id))}:${cards.length}`, createdAt: now, updatedAt: now,
      });
      await em.getRepository(AlarmMessage).insert(digest);
      await em.createQueryBuilder().update(AlarmMessage)
        .set({ state: 'merged', digestId: digest.id, leaseOwner: null, leaseUntil: null, updatedAt: now })
        .where({ id: In(cards.map((c) => c.id)), leaseOwner: holder }).execute();
      return digest;
    }, 6));
    this.mergeTail = run.catch(() => undefined);
    return run;
  }

  private async deliver(m: AlarmMessage, holder: string, batch: Batch): Promise<'sent' | 'failed' | 'retried'> {
    const repo = this.app.ds.getRepository(AlarmMessage);
    const group = m.channel === 'wecom_grp' || m.channel === 'ding_grp';
    const user = batch.users.get(m.recipientId) ?? null;
    const attempt = m.attempts + 1;
    let ref: string | null = null;
    let failure: DeliveryError | null = null;
    try {
      if (!user && !group) throw new DeliveryError('收件人不存在', false);
      ({ ref } = await this.channels[m.channel].send(user, await this.render(m, user, batch), attempt));
    } catch (err) {
      if (err instanceof AlreadyDelivered) ref = err.ref ?? m.platformRef;
      else failure = err instanceof DeliveryError ? err : new DeliveryError(String((err as Error)?.message ?? err).slice(0, 250), true);
    }
    const now = this.app.clock.now();
    const where = { id: m.id, leaseOwner: holder, state: 'pending' as const };
    if (!failure) {
      await repo.update(where, { state: 'sent', sentAt: now, attempts: attempt, platformRef: ref ?? m.platformRef, lastError: null, leaseOwner: null, leaseUntil: null, updatedAt: now });
      return 'sent';
    }
    if (failure.retry && attempt < MAX_ATTEMPTS) {
      await repo.update(where, { attempts: attempt, nextAttemptAt: now + backoffMs(attempt), lastError: failure.reason, leaseOwner: null, leaseUntil: null, updatedAt: now });
      return 'retried';
    }
    await repo.update(where, { state: 'failed', attempts: attempt, lastError: failure.reason, leaseOwner: null, leaseUntil: null, updatedAt: now });
    return 'failed';
  }

  private async render(m: AlarmMessage, user: User | null, batch: Batch): Promise<Outgoing> {
    const links = alarmLinks(this.app);
    const p = m.payload as Record<string, any>;
    if (m.kind === 'digest') return { kind: 'digest', title: p.title, lines: p.lines, openUrl: user ? links.console(user.id) : links.console(0) };
    if (m.kind === 'script') return { kind: 'script', leadName: p.leadName, text: p.text, link: p.link };
    const alarm = batch.alarms.get(m.alarmId!) ?? (await this.app.ds.getRepository(Alarm).findOneByOrFail({ id: m.alarmId! }));
    if (m.kind === 'update') return { kind: 'update', responseCode: p.responseCode ?? null, replaceName: p.replaceName, taskId: `${alarm.taskId}u${m.recipientId}` };
    const isRep = p.role === 'rep';
    const buttons = isRep
      ? [...alarm.scripts.map((s) => ({ key: `s${s.scriptId}`, text: s.title })), { key: 'done', text: '已跟进' }]
      : [{ key: 'ack', text: '已知悉' }];
    const withLinks = buttons.map((b) => ({ ...b, url: links.tap(m.id, b.key) }));
    return {
      kind: 'card', messageId: m.id, taskId: `${alarm.taskId}u${m.recipientId}`, title: `${alarm.card.leadName} ${alarm.card.ruleLabel}`, card: alarm.card,
      buttons: withLinks, openUrl: links.sidebar(alarm.leadId), scripts: isRep ? alarm.scripts : [],
    };
  }
}

