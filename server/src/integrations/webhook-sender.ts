import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { In } from 'typeorm';
import type { AppContext } from '../context';
import { User } from '../users/user.entity';
import { queueMessage } from '../alarms/queue-message';
import { channelFor } from '../alarms/fire';
import { isUniqueViolation } from '../db/errors';
import { WebhookDelivery, WebhookSubscription, type DeliveryAttempt } from './webhook.entities';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './signing';
import { doneOutside } from '../db/tx';

/** Waits after the 1st, 2nd… failed attempt; after the last the delivery is `failed` (replayable by hand). */
export const BACKOFF_MS = [10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000];
/** Consecutive failed attempts (across deliveries) after which a subscription is paused and the admins alarmed. */
export const PAUSE_AFTER = 10;
const LEASE_MS = 60_000;
const LOG_KEEP = 10;

export interface SenderOptions {
  timeoutMs?: number;
  /** Deliveries in flight per process, and per subscription: a slow subscriber only ever holds its own slots. */
  maxInFlight?: number;
  perSubscription?: number;
  pollMs?: number;
  /** Allow loopback / private targets (development, tests); production refuses them (SSRF). */
  allowPrivate?: boolean;
}

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::ffff:0:0', 96],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** Whether a URL's host is (or resolves to) a loopback, link-local or private address. */
export async function isPrivateTarget(url: string): Promise<boolean> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  return addresses.some((a) => PRIVATE.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4'));
}

/**
 * Sends queued webhook deliveries: claims due rows under a lease (a conditional UPDATE, like the alarm dispatcher), POSTs
 * each signed body with a timeout, records the attempt, retries with backoff, and pauses a subscription that keeps
 * failing (its deliveries wait; the admins get a bot message). Sends run concurrently and are not awaited by the
 * claiming loop, so one slow or dead subscriber never delays the others.
 */
export class WebhookSender {
  private readonly holder = `webhook:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly inFlight = new Map<number, number>();
  private readonly sends = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<unknown> = Promise.resolve();
  private kicking = false;
  private kickAgain = false;
  private onError: (err: unknown) => void = () => undefined;
  private readonly o: Required<SenderOptions>;

  constructor(
    private readonly app: AppContext,
    opts: SenderOptions = {},
  ) {
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.o = { timeoutMs: 5000, maxInFlight: 32, perSubscription: 4, pollMs: 200, allowPrivate: false, ...given };
  }

  start(onError: (err: unknown) => void = () => undefined): void {
    this.onError = onError;
    this.timer = setInterval(() => this.kick(), this.o.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pumping;
    await Promise.all([...this.sends]);
  }

  /** Everything due now, sent and settled (tests, benches). Returns how many attempts were made. */
  async runOnce(): Promise<number> {
    let made = 0;
    for (;;) {
      const started = await this.pump();
      const inFlight = this.sends.size; // sends started earlier hold slots: their subscribers' rows wait for them
      made += started;
      await Promise.all([...this.sends]);
      if (!started && !inFlight) return made;
    }
  }

  /**
   * Claims what free slots allow and starts sending it, again while claims come back (a subscriber at its cap is left
   * out of the query, so a backlog of a slow one never hides the others' rows); returns how many sends started.
   */
  async pump(): Promise<number> {
    let started = 0;
    for (;;) {
      const free = this.o.maxInFlight - [...this.inFlight.values()].reduce((a, b) => a + b, 0);
      if (free <= 0) return started;
      const claimed = await this.claim(free);
      if (!claimed.length) return started;
      for (const d of claimed) this.launch(d);
      started += claimed.length;
    }
  }

  private launch(d: WebhookDelivery): void {
    this.inFlight.set(d.subscriptionId, (this.inFlight.get(d.subscriptionId) ?? 0) + 1);
    const p = this.deliver(d).finally(() => {
      this.inFlight.set(d.subscriptionId, (this.inFlight.get(d.subscriptionId) ?? 1) - 1);
      this.sends.delete(p);
      if (this.timer) this.kick(); // a slot is free: fill it now rather than at the next poll
    });
    this.sends.add(p);
  }

  /** One pump at a time; a kick while one runs asks for another right after it. */
  private kick(): void {
    if (this.kicking) {
      this.kickAgain = true;
      return;
    }
    this.kicking = true;
    this.pumping = this.pump()
      .catch(this.onError)
      .finally(() => {
        this.kicking = false;
        if (this.kickAgain) {
          this.kickAgain = false;
          this.kick();
        }
      });
  }

  private async claim(free: number): Promise<WebhookDelivery[]> {
    const now = this.app.clock.now();
    const full = [...this.inFlight].filter(([, n]) => n >= this.o.perSubscription).map(([id]) => id);
    const candidates: { id: number; subscriptionId: number }[] = await this.app.ds.query(
      `SELECT d.id, d.subscriptionId FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscriptionId
        WHERE d.state = 'pending' AND d.nextAttemptAt <= ? AND (d.leaseUntil IS NULL OR d.leaseUntil < ?)
          AND s.active = ? AND s.pausedAt IS NULL AND s.deletedAt IS NULL${full.length ? ` AND d.subscriptionId NOT IN (${full.map(() => '?').join(', ')})` : ''}
        ORDER BY d.nextAttemptAt, d.id LIMIT ${Number(free * 4)}`,
      [now, now, true, ...full],
    );
    const taken = new Map<number, number>();
    const ids: number[] = [];
    for (const c of candidates) {
      const sub = Number(c.subscriptionId);
      const used = (this.inFlight.get(sub) ?? 0) + (taken.get(sub) ?? 0);
      if (used >= this.o.perSubscription || ids.length >= free) continue;
      taken.set(sub, (taken.get(sub) ?? 0) + 1);
      ids.push(Number(c.id));
    }
    if (!ids.length) return [];
    await this.app.ds
      .createQueryBuilder()
      .update(WebhookDelivery)
      .set({ leaseOwner: this.holder, leaseUntil: now + LEASE_MS })
      .where('id IN (:...ids) AND state = :state AND (leaseUntil IS NULL OR leaseUntil < :now)', { ids, state: 'pending', now })
      .execute();
    return this.app.ds.getRepository(WebhookDelivery).find({ where: { id: In(ids), leaseOwner: this.holder, state: 'pending' } });
  }

  private async deliver(d: WebhookDelivery): Promise<void> {
    const sub = await this.app.ds.getRepository(WebhookSubscription).findOneBy({ id: d.subscriptionId });
    if (!sub) return;
    const started = Date.now();
    const attempt = await this.post(sub, d);
    const entry: DeliveryAttempt = { at: this.app.clock.now(), status: attempt.status, ms: Date.now() - started, error: attempt.error };
    await this.record(sub, d, entry, attempt.ok);
  }

  private async post(sub: WebhookSubscription, d: WebhookDelivery): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    try {
      if (!this.o.allowPrivate && (await isPrivateTarget(sub.url))) return { ok: false, status: null, error: '接收地址是内网或本机地址，已拒绝发送' };
      const ts = String(Math.floor(this.app.clock.now() / 1000));
      doneOutside();
      const res = await fetch(sub.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.o.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Lifeline-Webhook/1',
          'x-lifeline-event': d.eventType,
          'x-lifeline-delivery': String(d.id),
          [TIMESTAMP_HEADER]: ts,
          [SIGNATURE_HEADER]: signBody(sub.secret, ts, d.payload),
        },
        body: d.payload,
      });
      const text = res.ok ? '' : (await res.text().catch(() => '')).slice(0, 120);
      await res.body?.cancel().catch(() => undefined);
      return { ok: res.ok, status: res.status, error: res.ok ? null : `HTTP ${res.status}${text ? `：${text}` : ''}` };
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `超时（${this.o.timeoutMs} ms 无响应）` : `连接失败：${(e.cause as Error | undefined)?.message ?? e.message}`;
      return { ok: false, status: null, error: why.slice(0, 200) };
    }
  }

  private async record(sub: WebhookSubscription, d: WebhookDelivery, entry: DeliveryAttempt, ok: boolean): Promise<void> {
    const now = this.app.clock.now();
    const attempts = d.attempts + 1;
    const log = [...d.log, entry].slice(-LOG_KEEP);
    const done = ok || attempts > BACKOFF_MS.length;
    const patch: Partial<WebhookDelivery> = {
      attempts,
      log,
      lastStatus: entry.status,
      lastError: entry.error,
      state: ok ? 'delivered' : done ? 'failed' : 'pending',
      nextAttemptAt: ok || done ? d.nextAttemptAt : now + BACKOFF_MS[attempts - 1],
      deliveredAt: ok ? now : null,
      leaseOwner: null,
      leaseUntil: null,
      updatedAt: now,
    };
    const written = await this.app.ds.getRepository(WebhookDelivery).update({ id: d.id, leaseOwner: this.holder }, patch);
    if (!written.affected) return; // the lease lapsed and another process took the row over: its record counts
    const subs = this.app.ds.getRepository(WebhookSubscription);
    if (ok) {
      if (sub.consecutiveFailures) await subs.update({ id: sub.id }, { consecutiveFailures: 0 });
      return;
    }
    await subs.increment({ id: sub.id }, 'consecutiveFailures', 1);
    const { consecutiveFailures } = await subs.findOneByOrFail({ id: sub.id });
    if (consecutiveFailures < PAUSE_AFTER) return;
    const reason = `连续 ${consecutiveFailures} 次发送失败（最近一次：${entry.error ?? entry.status}）`.slice(0, 200);
    const paused = await subs
      .createQueryBuilder()
      .update()
      .set({ pausedAt: now, pauseReason: reason })
      .where('id = :id AND pausedAt IS NULL', { id: sub.id })
      .execute();
    if (paused.affected) await this.alarmPaused(sub, reason, now);
  }

  /** One bot message per admin per pause: the subscription stopped, why, and where to resume it. */
  private async alarmPaused(sub: WebhookSubscription, reason: string, now: number): Promise<void> {
    const admins = await this.app.ds.getRepository(User).find({ where: { companyId: sub.companyId, role: 'admin', active: true } });
    for (const admin of admins.filter((a) => a.deletedAt === null)) {
      try {
        await queueMessage(this.app.ds.manager, now, {
          companyId: sub.companyId,
          alarmId: null,
          recipientId: admin.id,
          kind: 'digest',
          channel: channelFor(this.app, admin),
          payload: {
            title: 'Webhook 已自动暂停',
            lines: [`发往 ${new URL(sub.url).host} 的 Webhook ${reason}，已暂停发送，未发出的事件会保留。`, '修复接收方后，请在「设置 → 系统对接」中恢复。'],
            page: 'integrations',
          },
          dedupeKey: `webhook-paused:${admin.id}:${sub.id}:${now}`,
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
  }
}
