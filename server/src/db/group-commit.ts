import { callerCommits, outsideCallers } from './tx';
/**
 * Group commit for one kind of request (follow-up saves): requests that arrive while the database is busy share a
 * transaction instead of queueing for connections one by one.
 *
 * A request that finds a free slot starts at once, alone, on the ordinary path, so an idle server adds no wait. While
 * every slot is busy, requests queue; each slot that frees takes up to `maxBatch` of them into one transaction. That
 * transaction pays one START/COMMIT, one redo-log flush and one round trip per step for all of them: under load the
 * database's fixed costs are shared, which one transaction per request cannot do.
 *
 * Each request still gets its own outcome, after its transaction committed. A request whose own check fails (a 4xx)
 * is answered with that error and the others go on. If the shared transaction fails as a whole (a deadlock, an
 * unexpected error, a key that turned out to exist), it has rolled back and wrote nothing: every request in it is
 * run again alone, on the ordinary path, which answers exactly as it always did.
 *
 * Requests that share a key (the same lead, the same idempotency key) never run at the same time: a later one waits
 * for the earlier one's transaction, so shared transactions never wait on each other's row locks.
 */
export type Outcome<R> = { value: R } | { error: unknown } | { alone: true };

interface GroupCommitOptions<I, R> {
  /** Most requests in one shared transaction; 1 turns grouping off. */
  maxBatch: number;
  /** Transactions in flight at once (each holds a pooled connection). */
  slots: number;
  /** Keys that must not be in flight twice. */
  keys: (item: I) => string[];
  /** The ordinary path: one request, its own transaction. */
  alone: (item: I) => Promise<R>;
  /** One shared transaction; one outcome per item, in order. Throwing means nothing was written. */
  together: (items: I[]) => Promise<Outcome<R>[]>;
}

interface Entry<I, R> {
  item: I;
  keys: string[];
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<I, R> {
  private readonly queue: Entry<I, R>[] = [];
  private readonly busyKeys = new Set<string>();
  private running = 0;
  /** How requests went: for benchmarks and tests. */
  readonly stats = { alone: 0, together: 0, batches: 0, fallbacks: 0, largest: 0 };

  constructor(private readonly opts: GroupCommitOptions<I, R>) {}

  /** Requests queued for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  submit(item: I): Promise<R> {
    const commits = callerCommits();
    return new Promise<R>((resolve, reject) => {
      // Its write counts as committed by the request that submitted it, whichever request's turn ran the batch.
      const done = (value: R) => {
        if (commits) commits.units++;
        resolve(value);
      };
      this.queue.push({ item, keys: this.opts.keys(item), resolve: done, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.opts.slots) {
      const batch = this.take();
      if (!batch.length) return;
      this.running++;
      batch.forEach((e) => e.keys.forEach((k) => this.busyKeys.add(k)));
      void outsideCallers(() => this.run(batch)).finally(() => {
        batch.forEach((e) => e.keys.forEach((k) => this.busyKeys.delete(k)));
        this.running--;
        this.pump();
      });
    }
  }

  /** The oldest requests whose keys are free, up to maxBatch; the others keep their place. */
  private take(): Entry<I, R>[] {
    const batch: Entry<I, R>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.queue.length && batch.length < this.opts.maxBatch;) {
      const e = this.queue[i];
      if (e.keys.some((k) => this.busyKeys.has(k) || keys.has(k))) {
        // Same key as a request ahead of it: it must wait its turn, and so must anything else under its keys.
        e.keys.forEach((k) => keys.add(k));
        i++;
        continue;
      }
      e.keys.forEach((k) => keys.add(k));
      batch.push(e);
      this.queue.splice(i, 1);
    }
    return batch;
  }

  private async run(batch: Entry<I, R>[]): Promise<void> {
    if (batch.length === 1) {
      this.stats.alone++;
      return this.alone(batch[0]);
    }
    this.stats.batches++;
    this.stats.together += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    let outcomes: Outcome<R>[];
    try {
      outcomes = await this.opts.together(batch.map((e) => e.item));
    } catch {
      // Rolled back whole: each request again on its own, where its own error (if any) is its answer.
      this.stats.fallbacks++;
      await Promise.all(batch.map((e) => this.alone(e)));
      return;
    }
    await Promise.all(
      batch.map((e, i) => {
        const o = outcomes[i];
        if ('value' in o) e.resolve(o.value);
        else if ('error' in o) e.reject(o.error);
        else return this.alone(e);
        return undefined;
      }),
    );
  }

  private alone(e: Entry<I, R>): Promise<void> {
    return this.opts.alone(e.item).then(e.resolve, e.reject);
  }
}
