import type { AppContext } from '../context';

/**
 * Claims up to `limit` due rows of `table` for this holder: a conditional UPDATE per candidate batch, so
 * two processes racing for the same row cannot both win (the row lock serialises the UPDATE, and the
 * loser's WHERE no longer matches). Returns the ids this holder now owns.
 */
export async function claimDue(
  app: AppContext,
  table: 'alarm_timer' | 'alarm_message',
  dueColumn: 'dueAt' | 'nextAttemptAt',
  holder: string,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<number[]> {
  const candidates: { id: number }[] = await app.ds.query(
    `SELECT id FROM ${table} WHERE state = 'pending' AND ${dueColumn} <= ? AND (leaseUntil IS NULL OR leaseUntil < ?)
      ORDER BY ${dueColumn}, id LIMIT ${Number(limit)}`,
    [now, now],
  );
  if (!candidates.length) return [];
  const ids = candidates.map((c) => Number(c.id));
  const marks = ids.map(() => '?').join(',');
  await app.tx.runRetryingUnique((em) =>
    em.query(
      `UPDATE ${table} SET leaseOwner = ?, leaseUntil = ? WHERE id IN (${marks}) AND state = 'pending'
      AND (leaseUntil IS NULL OR leaseUntil < ?)`,
      [holder, now + leaseMs, ...ids, now],
    ),
  );
  const mine: { id: number }[] = await app.ds.query(
    `SELECT id FROM ${table} WHERE id IN (${marks}) AND leaseOwner = ? AND state = 'pending' ORDER BY ${dueColumn}, id`,
    [...ids, holder],
  );
  return mine.map((m) => Number(m.id));
}

/**
 * Keeps a holder's claims alive while it works on them: every `everyMs` it pushes `leaseUntil` of the rows
 * it claimed to now + leaseMs, only where the lease is still this holder's and unexpired (a lapsed lease
 * may already be someone else's, and is never revived). So the lease can be short: a process that dies or
 * freezes stops renewing and its rows are retaken within one lease, while a slow but live one keeps its work.
 */
export class LeaseKeeper {
  private readonly ids = new Set<number>();
  private readonly timer: NodeJS.Timeout;
  private renewing: Promise<void> | null = null;

  constructor(
    private readonly app: AppContext,
    private readonly table: 'alarm_timer' | 'alarm_message',
    private readonly holder: string,
    private readonly leaseMs: number,
    ids: number[],
    everyMs = Math.max(100, Math.floor(leaseMs / 4)),
  ) {
    for (const id of ids) this.ids.add(id);
    this.timer = setInterval(() => void this.renew().catch(() => undefined), everyMs);
    this.timer.unref();
  }

  /** Rows claimed later in the same run (a digest written under this holder). */
  add(id: number) {
    this.ids.add(id);
  }

  /** One renewal; overlapping calls share the one in flight. Only raises leaseUntil, never shortens a send's fence. */
  renew(): Promise<void> {
    this.renewing ??= (async () => {
      if (!this.ids.size) return;
      const now = this.app.clock.now();
      const ids = [...this.ids];
      await this.app.ds.query(
        `UPDATE ${this.table} SET leaseUntil = ? WHERE id IN (${ids.map(() => '?').join(',')}) AND leaseOwner = ? AND state = 'pending'
          AND leaseUntil >= ? AND leaseUntil < ?`,
        [now + this.leaseMs, ...ids, this.holder, now, now + this.leaseMs],
      );
    })().finally(() => (this.renewing = null));
    return this.renewing;
  }

  async stop() {
    clearInterval(this.timer);
    await this.renewing?.catch(() => undefined);
  }
}
