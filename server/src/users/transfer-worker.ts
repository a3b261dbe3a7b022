import cron, { type ScheduledTask } from 'node-cron';
import { In } from 'typeorm';
import type { AppContext } from '../context';
import { Company } from '../companies/company.entity';
import { insertRowsPlain } from '../db/rows';
import { leaseName } from '../db/lease-name';
import type { CustomerTransferClient, TransferAnswer } from './customer-transfers';
import { CustomerTransfer } from './customer-transfer.entity';
import { transfersClient } from './transfer-queue';

/** WeCom takes at most 100 external contacts per transfer call (platform-2.md §3). */
export const TRANSFER_BATCH = 100;

/** Per-contact or per-call errcodes worth trying again later; any other non-zero code is final (listed for the admin). */
const TRANSIENT_CODES = new Set([-1, 45009, 45011, 45033]);

const CODE_TEXT: Record<number, string> = {
  [-1]: '企业微信系统繁忙',
  40096: '外部联系人 ID 无效',
  45009: '调用企业微信过于频繁',
  45033: '调用企业微信并发过高',
  48002: '应用没有客户联系接口权限，请把应用加入「客户联系 → 可调用接口的应用」',
};
const codeText = (code: number) => `${CODE_TEXT[code] ?? '企业微信拒绝转接'}（errcode ${code}）`;

/** transfer_result statuses that end a transfer as failed, with the admin's explanation. */
const REFUSED: Record<number, string> = { 3: '客户拒绝转接', 4: '接替成员的客户数已达上限' };

export interface TransferWorkerOptions {
  leaseMs?: number;
  /** Rows claimed per round. */
  batch?: number;
  /** Wait before the first result poll after a send, and between polls (WeCom completes after up to 24 h). */
  pollMs?: number;
  /** Failed calls before a row is given up (transient errors back off: base × 2^attempts, at most an hour). */
  maxAttempts?: number;
  backoffMs?: number;
  /** A sent transfer with no final result after this long is failed (listed for the admin). */
  resultTimeoutMs?: number;
}

export interface TransferStats {
  listed: number;
  calls: number;
  sent: number;
  done: number;
  failed: number;
  retried: number;
}

type Row = CustomerTransfer;
type Patch = Partial<Row>;

/**
 * Works the customer_transfer queue, in any number of processes: claims due rows with a conditional UPDATE (a lease,
 * like alarms/lease.ts), lists the contacts of "all contacts" rows, sends queued rows in calls of ≤100 per
 * (handover, takeover), records each contact's errcode, polls transfer_result for sent rows until done or refused,
 * retries transient failures with backoff and fails the rest. Every write is fenced by the lease it was claimed under.
 */
export class TransferWorker {
  private running: Promise<TransferStats> | null = null;
  private task: ScheduledTask | null = null;
  private readonly o: Required<TransferWorkerOptions>;

  constructor(
    private readonly app: AppContext,
    opts: TransferWorkerOptions = {},
  ) {
    this.o = {
      leaseMs: 60_000,
      batch: 500,
      pollMs: 3600_000,
      maxAttempts: 8,
      backoffMs: 60_000,
      resultTimeoutMs: 7 * 24 * 3600_000,
      ...opts,
    };
  }

  /** One tick; overlapping calls share the one in flight. */
  tick(): Promise<TransferStats> {
    this.running ??= this.doTick().finally(() => (this.running = null));
    return this.running;
  }

  start(seconds: number, onError: (err: unknown) => void): void {
    const every = Math.max(1, Math.min(59, Math.round(seconds)));
    this.task = cron.schedule(`*/${every} * * * * *`, () => void this.tick().catch(onError));
  }

  async stop(): Promise<void> {
    await this.task?.stop();
    this.task = null;
    await this.running?.catch(() => undefined);
  }

  private async doTick(): Promise<TransferStats> {
    const stats: TransferStats = { listed: 0, calls: 0, sent: 0, done: 0, failed: 0, retried: 0 };
    // Listing "all contacts" rows makes new due rows: a few rounds per tick send them at once.
    for (let round = 0; round < 5; round++) {
      const holder = leaseName('transfer');
      const rows = await this.claim(holder);
      if (!rows.length) break;
      const companies = await this.app.ds.getRepository(Company).findBy({ id: In([...new Set(rows.map((r) => r.companyId))]) });
      for (const company of companies) {
        const mine = rows.filter((r) => r.companyId === company.id);
        const client = transfersClient(this.app, company);
        if (!client) {
          for (const r of mine) await this.retryLater(holder, r, null, '企业微信客户联系未配置', stats);
          continue;
        }
        for (const r of mine.filter((x) => x.status === 'queued' && x.externalUserId === null)) await this.list(holder, client, r, stats);
        await this.send(
          holder,
          client,
          mine.filter((x) => x.status === 'queued' && x.externalUserId !== null),
          stats,
        );
        await this.poll(
          holder,
          client,
          mine.filter((x) => x.status === 'sent' || x.status === 'waiting'),
          stats,
        );
      }
      if (rows.length < this.o.batch && !stats.listed) break;
    }
    return stats;
  }

  /** Due rows for this holder: candidates, then a conditional UPDATE (two processes cannot both win a row). */
  private async claim(holder: string): Promise<Row[]> {
    const now = this.app.clock.now();
    const candidates: { id: number }[] = await this.app.ds.query(
      `SELECT id FROM customer_transfer WHERE status IN ('queued','sent','waiting') AND nextAttemptAt <= ? AND (leaseUntil IS NULL OR leaseUntil < ?)
        ORDER BY nextAttemptAt, id LIMIT ${Number(this.o.batch)}`,
      [now, now],
    );
    if (!candidates.length) return [];
    const ids = candidates.map((c) => Number(c.id));
    const marks = ids.map(() => '?').join(',');
    await this.app.tx.run((em) =>
      em.query(
        `UPDATE customer_transfer SET leaseOwner = ?, leaseUntil = ? WHERE id IN (${marks}) AND status IN ('queued','sent','waiting')
          AND nextAttemptAt <= ? AND (leaseUntil IS NULL OR leaseUntil < ?)`,
        [holder, now + this.o.leaseMs, ...ids, now, now],
      ),
    );
    return this.app.ds.getRepository(CustomerTransfer).find({ where: { id: In(ids), leaseOwner: holder }, order: { id: 'ASC' } });
  }

  /** Writes a row's new state and gives up the lease, only while the lease is still this holder's. */
  private async write(holder: string, ids: number[], patch: Patch): Promise<void> {
    if (!ids.length) return;
    const now = this.app.clock.now();
    await this.app.ds
      .createQueryBuilder()
      .update(CustomerTransfer)
      .set({ ...patch, leaseOwner: null, leaseUntil: null, updatedAt: now })
      .where({ id: In(ids), leaseOwner: holder })
      .execute();
  }

  /** A transient failure: try again after a backoff, or give up after maxAttempts. */
  private async retryLater(holder: string, r: Row, errcode: number | null, error: string, stats: TransferStats): Promise<void> {
    const attempts = r.attempts + 1;
    if (attempts >= this.o.maxAttempts) {
      stats.failed++;
      return this.write(holder, [r.id], { status: 'failed', attempts, errcode, error: `${error}，已重试 ${attempts} 次`.slice(0, 255) });
    }
    stats.retried++;
    const wait = Math.min(3600_000, this.o.backoffMs * 2 ** (attempts - 1));
    await this.write(holder, [r.id], { attempts, errcode, error: error.slice(0, 255), nextAttemptAt: this.app.clock.now() + wait });
  }

  /** "All contacts of the handover member": list them (離职: get_unassigned_list; 在职: externalcontact/list) into rows. */
  private async list(holder: string, client: CustomerTransferClient, r: Row, stats: TransferStats): Promise<void> {
    let ids: string[];
    try {
      ids = r.kind === 'on_job' ? await client.listCustomers(r.handoverPlatformId) : await this.unassignedOf(client, r.handoverPlatformId);
    } catch (err) {
      return this.failCall(holder, [r], err, stats);
    }
    const now = this.app.clock.now();
    await this.app.tx.run(async (em) => {
      const open = await em.getRepository(CustomerTransfer).findBy({
        companyId: r.companyId,
        kind: r.kind,
        handoverUserId: r.handoverUserId,
        status: In(['queued', 'sent', 'waiting']),
      });
      const fresh = [...new Set(ids)].filter((id) => !open.some((o) => o.externalUserId === id));
      const base = { ...r, id: undefined, leaseOwner: null, leaseUntil: null, attempts: 0, errcode: null, error: null, nextAttemptAt: now };
      await insertRowsPlain(
        em,
        CustomerTransfer,
        fresh.map((externalUserId) => ({ ...base, externalUserId, status: 'queued' as const, createdAt: now, updatedAt: now })),
      );
      await em
        .createQueryBuilder()
        .update(CustomerTransfer)
        .set({ status: 'done', doneAt: now, error: `已列出 ${fresh.length} 位客户`, leaseOwner: null, leaseUntil: null, updatedAt: now })
        .where({ id: r.id, leaseOwner: holder })
        .execute();
    });
    stats.listed += ids.length;
  }

  private async unassignedOf(client: CustomerTransferClient, handover: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const res = await client.listUnassigned(cursor);
      for (const i of res.items) if (i.handoverUserId.toLowerCase() === handover.toLowerCase()) out.push(i.externalUserId);
      cursor = res.nextCursor;
      if (!cursor) break;
    }
    return out;
  }

  /** Queued contacts, ≤100 per call per (kind, handover, takeover); each contact's errcode is recorded. */
  private async send(holder: string, client: CustomerTransferClient, rows: Row[], stats: TransferStats): Promise<void> {
    for (const group of groupBy(rows)) {
      for (let i = 0; i < group.length; i += TRANSFER_BATCH) {
        const chunk = group.slice(i, i + TRANSFER_BATCH);
        const { kind, handoverPlatformId: from, takeoverPlatformId: to } = chunk[0];
        const ids = chunk.map((r) => r.externalUserId!);
        let answers: TransferAnswer[];
        stats.calls++;
        try {
          answers = kind === 'on_job' ? await client.transferOnJob(from, to, ids) : await client.transferResigned(from, to, ids);
        } catch (err) {
          await this.failCall(holder, chunk, err, stats);
          continue;
        }
        await this.recordAnswers(holder, chunk, answers, stats);
      }
    }
  }

  private async recordAnswers(holder: string, chunk: Row[], answers: TransferAnswer[], stats: TransferStats): Promise<void> {
    const now = this.app.clock.now();
    const code = new Map(answers.map((a) => [a.externalUserId, a.errcode]));
    const started = chunk.filter((r) => code.get(r.externalUserId!) === 0);
    // errcode 0 only means "started": the result is polled later (transfer_result).
    await this.write(
      holder,
      started.map((r) => r.id),
      { status: 'sent', sentAt: now, errcode: 0, error: null, attempts: 0, nextAttemptAt: now + this.o.pollMs },
    );
    stats.sent += started.length;
    for (const r of chunk) {
      const c = code.get(r.externalUserId!);
      if (c === 0) continue;
      if (c === undefined) await this.retryLater(holder, r, null, '企业微信未返回该客户的结果', stats);
      else if (TRANSIENT_CODES.has(c)) await this.retryLater(holder, r, c, codeText(c), stats);
      else {
        stats.failed++;
        await this.write(holder, [r.id], { status: 'failed', attempts: r.attempts + 1, errcode: c, error: codeText(c) });
      }
    }
  }

  /** A whole call failed: transient (network, busy, rate limit) → back off; a final answer (no permission…) → failed. */
  private async failCall(holder: string, rows: Row[], err: unknown, stats: TransferStats): Promise<void> {
    const e = err as { retryable?: boolean; transport?: boolean; errcode?: unknown; code?: unknown; message?: string };
    const errcode = Number.isInteger(Number(e.errcode ?? e.code)) ? Number(e.errcode ?? e.code) : null;
    const transient = typeof e.retryable === 'boolean' ? e.retryable : errcode === null || TRANSIENT_CODES.has(errcode) || e.transport === true;
    const text = errcode !== null ? codeText(errcode) : `调用企业微信失败：${e.message ?? String(err)}`;
    for (const r of rows) {
      if (transient) await this.retryLater(holder, r, errcode, text, stats);
      else {
        stats.failed++;
        await this.write(holder, [r.id], { status: 'failed', attempts: r.attempts + 1, errcode, error: text.slice(0, 255) });
      }
    }
  }

  /** Sent rows: transfer_result per (kind, handover, takeover), every page; 1 done, 2 waiting, 3/4 failed, else keep polling. */
  private async poll(holder: string, client: CustomerTransferClient, rows: Row[], stats: TransferStats): Promise<void> {
    const now = this.app.clock.now();
    for (const group of groupBy(rows)) {
      const { kind, handoverPlatformId: from, takeoverPlatformId: to } = group[0];
      const status = new Map<string, number>();
      try {
        let cursor: string | null = null;
        for (let page = 0; page < 1000; page++) {
          const res = await client.transferResult(kind, from, to, cursor);
          for (const s of res.items) status.set(s.externalUserId, s.status);
          cursor = res.nextCursor;
          if (!cursor) break;
        }
      } catch (err) {
        const msg = `查询转接结果失败：${(err as Error).message ?? String(err)}`.slice(0, 255);
        await this.write(
          holder,
          group.map((r) => r.id),
          { error: msg, nextAttemptAt: now + this.o.pollMs },
        );
        continue;
      }
      const by = (pred: (r: Row, s: number | undefined) => boolean) => group.filter((r) => pred(r, status.get(r.externalUserId!))).map((r) => r.id);
      const done = by((_, s) => s === 1);
      await this.write(holder, done, { status: 'done', doneAt: now, error: null });
      stats.done += done.length;
      for (const [code, text] of Object.entries(REFUSED)) {
        const refused = by((_, s) => s === Number(code));
        await this.write(holder, refused, { status: 'failed', error: text, errcode: null });
        stats.failed += refused.length;
      }
      const timedOut = by((r, s) => (s === undefined || s === 5) && now - (r.sentAt ?? now) > this.o.resultTimeoutMs);
      await this.write(holder, timedOut, { status: 'failed', error: '长时间没有转接结果，请在企业微信后台核对后重试' });
      stats.failed += timedOut.length;
      await this.write(
        holder,
        by((r, s) => s === 2),
        { status: 'waiting', nextAttemptAt: now + this.o.pollMs },
      );
      const open = by((r, s) => s !== 1 && s !== 2 && !(s !== undefined && String(s) in REFUSED) && !timedOut.includes(r.id));
      await this.write(holder, open, { nextAttemptAt: now + this.o.pollMs });
    }
  }
}

/** Rows by (company, kind, handover, takeover), in id order. */
function groupBy(rows: Row[]): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = [r.companyId, r.kind, r.handoverPlatformId, r.takeoverPlatformId].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}
