import { In, MoreThan, type EntityManager, type QueryDeepPartialEntity } from 'typeorm';
import { groupHighRisk, riskHoursFor, type AlarmSettings } from '@lifeline/shared';
import type { AppContext } from '../context';
import { logger } from '../logger';
import { User } from '../users/user.entity';
import { Alarm, AlarmMessage, type ChannelKind } from './alarm.entities';
import { AlreadyDelivered, DeliveryError, type AlarmChannel, type Outgoing } from '../channels/port';
import { claimDue, LeaseKeeper } from './lease';
import { leaseName } from '../db/lease-name';
import { companyAlarmSettings } from './timers';
import { alarmLinks } from './links';

const MAX_ATTEMPTS = 8;
/**
 * The longest a channel call may take. The adapters time out each HTTP call at 5 s and a call may first
 * fetch an access token, so 12 s bounds a whole send; the dispatcher gives up waiting at this point too.
 */
const SEND_TIMEOUT_MS = 12_000;
/** Slack between taking the send's fence and the call starting; a process that stalled longer does not send. */
const FENCE_SLACK_MS = 3_000;
const log = logger.child({ module: 'alarms.dispatcher' });

type Batch = { alarms: Map<number, Alarm>; users: Map<number, User> };
type Outcome = 'sent' | 'failed' | 'retried' | 'lost';
export type DispatchStats = Record<Outcome, number>;
/** One dispatch run's shared state: its lease holder, the time it claimed at, and what it has read. */
type Run = { holder: string; now: number; settings: Map<number, AlarmSettings>; stats: DispatchStats; batch: Batch; keeper: LeaseKeeper };

/**
 * Named points where a test holds a dispatch, standing for a process frozen there (SIGSTOP): the hook's
 * promise is awaited, so the test moves the clock past the lease and runs another dispatcher meanwhile.
 */
export interface DispatchPauses {
  /** A copy is about to be sent: before its fence is taken. */
  beforeSend?: (m: AlarmMessage) => Promise<void> | void;
  /** The channel has answered; the outcome is not recorded yet. */
  afterSend?: (m: AlarmMessage) => Promise<void> | void;
  /** A digest of these cards is decided; the cards are not marked merged (nor the digest written) yet. */
  betweenMergeAndMark?: (cards: AlarmMessage[]) => Promise<void> | void;
}

export interface DispatcherOptions {
  pauses?: DispatchPauses;
  /** How often claimed rows' leases are renewed while this run works on them; default a quarter of the lease. */
  heartbeatMs?: number;
}

/** 5 s, 10 s, 20 s … capped at 10 minutes. */
export const backoffMs = (attempts: number) => Math.min(600_000, 5000 * 2 ** Math.max(0, attempts - 1));

/**
 * Delivers due outbox rows under a lease. Per recipient it coalesces a burst (or anything past the
 * per-member rate) into one digest, groups high-risk warnings per rep, retries with exponential backoff,
 * and records a permanent failure with its reason.
 *
 * Every state change of a row is a conditional UPDATE on the lease this run holds (owner and unexpired) with
 * its row count checked: a process that stalled past its lease finds it lost and abandons the row, writing
 * and sending nothing more. A send is fenced: the lease is re-taken for the send's whole timeout right
 * before the call, and the attempt number is bumped with it, so the outcome write matches only that attempt.
 */
export class Dispatcher {
  private readonly pauses: DispatchPauses;

  constructor(
    private readonly app: AppContext,
    private readonly channels: Record<ChannelKind, AlarmChannel>,
    private readonly leaseMs = 60_000,
    private readonly parallel = 8,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.pauses = opts.pauses ?? {};
  }

  private mergeTail: Promise<unknown> = Promise.resolve();

  async run(limit = 500): Promise<DispatchStats> {
    const now = this.app.clock.now();
    const holder = leaseName('msg');
    const ids = await claimDue(this.app, 'alarm_message', 'nextAttemptAt', holder, now, this.leaseMs, limit);
    const stats: DispatchStats = { sent: 0, failed: 0, retried: 0, lost: 0 };
    if (!ids.length) return stats;
    // Renewed while this run works, so a short lease is enough: a dead process's rows come back quickly.
    const keeper = new LeaseKeeper(this.app, 'alarm_message', holder, this.leaseMs, ids, this.opts.heartbeatMs);
    try {
      const msgs = await this.app.ds.getRepository(AlarmMessage).findBy({ id: In(ids) });
      // One read of the alarms and people this batch needs, instead of one per message.
      const alarmIds = [...new Set(msgs.map((m) => m.alarmId).filter((x): x is number => x !== null))];
      const alarms = alarmIds.length ? await this.app.ds.getRepository(Alarm).findBy({ id: In(alarmIds) }) : [];
      const users = await this.app.ds.getRepository(User).findBy({ id: In([...new Set(msgs.map((m) => m.recipientId))]) });
      const batch = { alarms: new Map(alarms.map((a) => [a.id, a])), users: new Map(users.map((u) => [u.id, u])) };
      const byRecipient = new Map<number, AlarmMessage[]>();
      for (const m of msgs) byRecipient.set(m.recipientId, [...(byRecipient.get(m.recipientId) ?? []), m]);
      const run: Run = { holder, now, settings: new Map(), stats, batch, keeper };
      // Recipients are independent: on MySQL several are served at once; one recipient's messages stay in order.
      const queue = [...byRecipient.entries()];
      const parallel = this.app.tx.kind === 'mysql' ? this.parallel : 1;
      let failure: unknown = null;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            // One recipient's trouble must not hold up the others; its leased rows are retaken when the lease ends.
            await this.serve(next[0], next[1], run).catch((err) => (failure ??= err));
          }
        }),
      );
      if (failure) throw failure;
      return stats;
    } finally {
      await keeper.stop();
    }
  }

  private async serve(recipientId: number, group: AlarmMessage[], run: Run) {
    const { now, holder, stats } = run;
    const companyId = group[0].companyId;
    if (!run.settings.has(companyId)) run.settings.set(companyId, await companyAlarmSettings(this.app.ds.manager, companyId));
    const s = run.settings.get(companyId)!;
    const sentSince = (ms: number) => this.app.ds.getRepository(AlarmMessage).count({ where: { recipientId, sentAt: MoreThan(now - ms) } });
    const recent = await sentSince(60_000);
    const lastHour = await sentSince(3600_000);
    // Cards merged into a digest, or whose lease was lost while merging: no longer this run's to send or release.
    const settled = new Set<number>();
    let list = await this.coalesce(group, s, recent, run, settled);
    // Group robots allow 20 messages/min; people 30/min and 1000/h on WeCom (all kept under with a margin).
    const limit = recipientId < 0 ? Math.min(18, s.perMemberPerMinute) : s.perMemberPerMinute;
    if (recent >= limit || lastHour >= s.perMemberPerHour) {
      // Over WeCom's per-member rate: wait rather than have the platform drop it silently.
      await this.release(
        list.map((m) => m.id),
        holder,
        now + (lastHour >= s.perMemberPerHour ? 5 * 60_000 : 60_000),
      );
      return;
    }
    list = list.slice(0, Math.max(1, Math.min(limit - recent, s.perMemberPerHour - lastHour)));
    for (const m of list) stats[await this.deliver(m, holder, run.batch)]++;
    const left = group.filter((g) => !list.includes(g) && !settled.has(g.id)).map((g) => g.id);
    if (left.length) await this.release(left, holder, now + 60_000);
  }

  /**
   * A conditional write to outbox rows this holder leases (owner, unexpired at `now`, still pending, plus
   * `also`); resolves to how many rows it changed, which callers compare with how many they expected.
   */
  private async leased(
    em: EntityManager,
    ids: number[],
    holder: string,
    now: number,
    set: QueryDeepPartialEntity<AlarmMessage>,
    also = '',
    params: Record<string, unknown> = {},
  ): Promise<number> {
    const r = await em
      .createQueryBuilder()
      .update(AlarmMessage)
      .set(set)
      .where(`id IN (:...ids) AND leaseOwner = :holder AND state = 'pending' AND leaseUntil >= :now${also ? ` AND ${also}` : ''}`, {
        ids,
        holder,
        now,
        ...params,
      })
      .execute();
    return r.affected ?? 0;
  }

  /**
   * One write that must stand on its own. On SQLite every statement shares one connection, so a write made
   * outside `Tx` while another unit's transaction is open would join it and vanish if that one rolls back:
   * a fence or an outcome lost that way could lead to a second send. There it runs as its own queued
   * transaction; on MySQL an autocommit statement on a pooled connection already is one.
   */
  private alone<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.app.tx.kind === 'mysql' ? work(this.app.ds.manager) : this.app.tx.run(work);
  }

  /**
   * Work abandoned because the rows are no longer this run's: the lease lapsed (another process owns and
   * finishes them) or a handled lead's cards were withdrawn meanwhile.
   */
  private lost(ids: number[], holder: string, where: string): 'lost' {
    log.warn({ messageIds: ids, holder, where }, 'alarm outbox rows no longer ours (lease lapsed or withdrawn): work abandoned');
    return 'lost';
  }

  private async release(ids: number[], holder: string, at: number) {
    if (!ids.length) return;
    const now = this.app.clock.now();
    const n = await this.app.tx.runRetryingUnique((em) => this.leased(em, ids, holder, now, { leaseOwner: null, leaseUntil: null, nextAttemptAt: at }));
    if (n !== ids.length) this.lost(ids, holder, `release (${n} of ${ids.length} still ours)`);
  }

  /** Turns several cards to one person into digests: high-risk warnings per rep, and bursts over the limit. */
  private async coalesce(group: AlarmMessage[], s: AlarmSettings, recent: number, run: Run, settled: Set<number>): Promise<AlarmMessage[]> {
    const cards = group.filter((m) => m.kind === 'card');
    const rest = group.filter((m) => m.kind !== 'card');
    const alarmOf = run.batch.alarms;
    const highRisk = cards.filter((c) => alarmOf.get(c.alarmId!)?.rule === 'high_risk');
    const out: AlarmMessage[] = [...rest];
    const add = async (merged: AlarmMessage[], title: string, lines: string[]) => {
      const digest = await this.merge(merged, title, lines, run);
      for (const c of merged) settled.add(c.id);
      if (digest) out.push(digest);
    };
    let others = cards.filter((c) => !highRisk.includes(c));
    if (highRisk.length >= 2) {
      const groups = groupHighRisk(
        highRisk.map((c) => {
          const a = alarmOf.get(c.alarmId!)!;
          return { repName: a.card.repName ?? '未分配', grade: a.card.grade ?? '', leadName: a.card.leadName };
        }),
        (grade) => riskHoursFor(grade, s) ?? s.highRiskHours,
      );
      await add(
        highRisk,
        '高风险线索预警',
        groups.map((g) => `${g.line}：${g.leads.join('、')}`),
      );
    } else others = [...others, ...highRisk];
    if (others.length > s.digestAbove || (others.length > 1 && recent + others.length + out.length > s.perMemberPerMinute)) {
      const lines = others.map((c) => {
        const a = alarmOf.get(c.alarmId!)!;
        // A rep's own digest does not name her on every line; a supervisor's does.
        const owner = c.payload?.role !== 'rep' && a.card.repName ? `，负责人${a.card.repName}` : '';
        return `${a.card.leadName}（${a.card.maskedPhone}，${a.card.channel}）${a.card.ruleLabel}${owner}`;
      });
      await add(others, `${others.length} 条线索需要跟进`, lines);
    } else out.push(...others);
    return out;
  }

  /**
   * Writes the digest and marks its cards merged in one transaction. The mark is conditional on this run's
   * lease and must change every card, else the whole merge rolls back: a digest exists exactly when its cards
   * are merged into it, so its dedupe key (recipient, lowest card, count) can only collide with a merge that
   * already took these cards, and no card is left pending behind a digest. Null when the lease was lost.
   */
  private async merge(cards: AlarmMessage[], title: string, lines: string[], run: Run): Promise<AlarmMessage | null> {
    await this.pauses.betweenMergeAndMark?.(cards);
    const { holder } = run;
    const first = cards[0];
    const ids = cards.map((c) => c.id);
    // Merges insert into and update the same indexes; run them one at a time in this process (InnoDB would
    // otherwise deadlock parallel ones on index gap locks) and retry the rare cross-process deadlock.
    const merged = this.mergeTail.then(() =>
      this.app.tx.runRetryingUnique(async (em) => {
        const now = this.app.clock.now();
        // Marked first: a lost lease is found before the digest insert, which would otherwise hit the winner's key.
        const marked = await this.leased(em, ids, holder, now, { state: 'merged', leaseOwner: null, leaseUntil: null, updatedAt: now });
        if (marked !== cards.length) throw new LeaseLost(marked, cards.length);
        const digest = em.getRepository(AlarmMessage).create({
          companyId: first.companyId,
          alarmId: null,
          recipientId: first.recipientId,
          kind: 'digest',
          channel: first.channel,
          state: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          lastError: null,
          sentAt: null,
          actedAt: null,
          platformRef: null,
          digestId: null,
          leaseOwner: holder,
          leaseUntil: now + this.leaseMs,
          // leadIds: the digest opens 我的待办 narrowed to exactly these leads.
          payload: {
            title,
            lines,
            alarmIds: cards.map((c) => c.alarmId),
            leadIds: cards.map((c) => run.batch.alarms.get(c.alarmId!)?.leadId).filter((x) => x !== undefined),
          },
          dedupeKey: `digest:${first.recipientId}:${Math.min(...ids)}:${cards.length}`,
          createdAt: now,
          updatedAt: now,
        });
        await em.getRepository(AlarmMessage).insert(digest);
        const linked = await em
          .createQueryBuilder()
          .update(AlarmMessage)
          .set({ digestId: digest.id })
          .where(`id IN (:...ids) AND state = 'merged' AND digestId IS NULL`, { ids })
          .execute();
        if (linked.affected !== cards.length) throw new LeaseLost(linked.affected ?? 0, cards.length);
        return digest;
      }),
    );
    this.mergeTail = merged.catch(() => undefined);
    try {
      const digest = await merged;
      run.keeper.add(digest.id);
      return digest;
    } catch (err) {
      if (!(err instanceof LeaseLost)) throw err;
      this.lost(ids, holder, `merge (${err.changed} of ${err.expected} cards still ours; rolled back)`);
      return null;
    }
  }

  private async deliver(m: AlarmMessage, holder: string, batch: Batch): Promise<Outcome> {
    const group = m.channel === 'wecom_grp' || m.channel === 'ding_grp';
    const user = batch.users.get(m.recipientId) ?? null;
    const out = user || group ? await this.render(m, user, batch) : null;
    await this.pauses.beforeSend?.(m);
    // The fence: re-take the lease for the whole send and count the attempt, in one conditional UPDATE. A
    // process that lost its lease (or stalled so long it may have) sends nothing.
    const fencedAt = this.app.clock.now();
    const until = fencedAt + Math.max(this.leaseMs, SEND_TIMEOUT_MS + FENCE_SLACK_MS);
    const attempt = m.attempts + 1;
    const fenced = await this.alone((em) =>
      this.leased(em, [m.id], holder, fencedAt, { attempts: attempt, leaseUntil: until, updatedAt: fencedAt }, 'attempts = :prev', { prev: m.attempts }),
    );
    if (fenced !== 1 || this.app.clock.now() > fencedAt + FENCE_SLACK_MS) return this.lost([m.id], holder, 'before send');
    let ref: string | null = null;
    let failure: DeliveryError | null = null;
    try {
      if (!out) throw new DeliveryError('收件人不存在', false);
      ({ ref } = await withDeadline(this.channels[m.channel].send(user, out, attempt), SEND_TIMEOUT_MS));
    } catch (err) {
      if (err instanceof AlreadyDelivered) ref = err.ref ?? m.platformRef;
      else failure = err instanceof DeliveryError ? err : new DeliveryError(String((err as Error)?.message ?? err).slice(0, 250), true);
    }
    await this.pauses.afterSend?.(m);
    const now = this.app.clock.now();
    const outcome = !failure ? 'sent' : failure.retry && attempt < MAX_ATTEMPTS ? 'retried' : 'failed';
    const done = { leaseOwner: null, leaseUntil: null, updatedAt: now };
    const set: QueryDeepPartialEntity<AlarmMessage> =
      outcome === 'sent'
        ? { ...done, state: 'sent', sentAt: now, platformRef: ref ?? m.platformRef, lastError: null }
        : outcome === 'retried'
          ? // A call we stopped waiting for may still be in flight: the next attempt waits for its fence to end.
            { ...done, nextAttemptAt: Math.max(now + backoffMs(attempt), failure instanceof SendTimeout ? until : 0), lastError: failure!.reason }
          : { ...done, state: 'failed', lastError: failure!.reason };
    // Only this attempt's outcome: if the lease lapsed, the row's new holder re-sends and the platform's
    // de-duplication (WeCom task_id, DingTalk outTrackId) makes that an "already delivered".
    const recorded = await this.alone((em) => this.leased(em, [m.id], holder, now, set, 'attempts = :attempt', { attempt }));
    if (recorded === 1) return outcome;
    if (outcome === 'sent' && ref) await this.keepRef(m.id, ref);
    return this.lost([m.id], holder, `after send (${outcome})`);
  }

  /**
   * The copy this stalled attempt delivered is the one the platform kept (its id is unique there), but its
   * new holder only learned "already delivered" and has no handle for it: hand it over, so a tap can still
   * update the card. Touches nothing else and only a handle nobody has recorded.
   */
  private async keepRef(id: number, ref: string) {
    await this.alone((em) =>
      em
        .createQueryBuilder()
        .update(AlarmMessage)
        .set({ platformRef: ref })
        .where(`id = :id AND state IN ('sent', 'acted') AND platformRef IS NULL`, { id })
        .execute(),
    );
  }

  private async render(m: AlarmMessage, user: User | null, batch: Batch): Promise<Outgoing> {
    const links = alarmLinks(this.app);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the payload's shape depends on m.kind
    const p = m.payload as Record<string, any>;
    if (m.kind === 'digest') {
      // Digests merged before leadIds were recorded open the console, as they did.
      const openUrl =
        p.page === 'safety'
          ? links.safety(p.actorId, p.since)
          : p.page === 'integrations'
            ? links.integrations()
            : Array.isArray(p.leadIds) && p.leadIds.length
              ? links.todo(p.leadIds)
              : links.console(user?.id ?? 0);
      return { kind: 'digest', title: p.title, lines: p.lines, openUrl };
    }
    if (m.kind === 'script') return { kind: 'script', leadName: p.leadName, text: p.text, link: p.link };
    const alarm = batch.alarms.get(m.alarmId!) ?? (await this.app.ds.getRepository(Alarm).findOneByOrFail({ id: m.alarmId! }));
    if (m.kind === 'update')
      return { kind: 'update', responseCode: p.responseCode ?? null, replaceName: p.replaceName, taskId: `${alarm.taskId}u${m.recipientId}` };
    const isRep = p.role === 'rep';
    const buttons = isRep
      ? [...alarm.scripts.map((s) => ({ key: `s${s.scriptId}`, text: s.title })), { key: 'done', text: '已跟进' }]
      : [{ key: 'ack', text: '已知悉' }];
    const withLinks = buttons.map((b) => ({ ...b, url: links.tap(m.id, b.key) }));
    return {
      kind: 'card',
      messageId: m.id,
      taskId: `${alarm.taskId}u${m.recipientId}`,
      title: `${alarm.card.leadName} ${alarm.card.ruleLabel}`,
      card: alarm.card,
      buttons: withLinks,
      openUrl: links.sidebar(alarm.leadId),
      scripts: isRep ? alarm.scripts : [],
    };
  }
}

/** A merge found fewer of its cards under this run's lease than it needs; the transaction rolls back. */
class LeaseLost extends Error {
  constructor(
    readonly changed: number,
    readonly expected: number,
  ) {
    super(`lease lost: ${changed} of ${expected} rows`);
  }
}

/** The dispatcher stopped waiting for a channel call; unlike a platform's answer, the call may still land. */
class SendTimeout extends DeliveryError {
  constructor(ms: number) {
    super(`投递超时（${ms / 1000} 秒）`, true);
  }
}

/** The channel's answer, or a retryable timeout once `ms` have passed (the call itself is bounded by its adapter). */
function withDeadline<T>(send: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendTimeout(ms)), ms);
  });
  return Promise.race([send, deadline]).finally(() => clearTimeout(timer));
}
