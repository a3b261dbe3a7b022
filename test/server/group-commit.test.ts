import { describe, expect, it } from 'vitest';
import { GroupCommit, type Outcome } from '../../server/src/db/group-commit';
import { callerCommits, countingCommits } from '../../server/src/db/tx';

/** A controllable stand-in for the database work: each call waits until the test releases it. */
function harness(opts: { maxBatch: number; slots: number; failTogether?: boolean; outcome?: (item: string) => Outcome<string> | undefined }) {
  const calls: string[][] = [];
  const releases: (() => void)[] = [];
  const hold = () => new Promise<void>((r) => releases.push(r));
  const gc = new GroupCommit<string, string>({
    maxBatch: opts.maxBatch,
    slots: opts.slots,
    keys: (item) => [item.split(':')[0]],
    alone: async (item) => {
      calls.push([item]);
      await hold();
      if (item.endsWith('!')) throw new Error(`bad ${item}`);
      return `alone ${item}`;
    },
    together: async (items) => {
      calls.push(items);
      await hold();
      if (opts.failTogether) throw new Error('deadlock');
      return items.map((i) => opts.outcome?.(i) ?? { value: `together ${i}` });
    },
  });
  const releaseAll = async () => {
    // Let queued work start, then release whatever is waiting, until nothing is.
    for (let spins = 0; spins < 50; spins++) {
      await new Promise((r) => setImmediate(r));
      releases.splice(0).forEach((r) => r());
    }
  };
  return { gc, calls, releaseAll };
}

describe('group commit', () => {
  it('a request that finds a free slot runs at once, alone', async () => {
    const { gc, calls, releaseAll } = harness({ maxBatch: 8, slots: 2 });
    const a = gc.submit('a:1');
    expect(calls).toEqual([['a:1']]);
    await releaseAll();
    expect(await a).toBe('alone a:1');
    expect(gc.stats).toMatchObject({ alone: 1, batches: 0 });
  });

  it('requests that arrive while every slot is busy share the next transaction, each with its own answer', async () => {
    const { gc, calls, releaseAll } = harness({ maxBatch: 3, slots: 1 });
    const all = ['a:1', 'b:1', 'c:1', 'd:1', 'e:1'].map((x) => gc.submit(x));
    expect(calls).toEqual([['a:1']]);
    expect(gc.waiting).toBe(4);
    await releaseAll();
    expect(await Promise.all(all)).toEqual(['alone a:1', 'together b:1', 'together c:1', 'together d:1', 'alone e:1']);
    // At most maxBatch per transaction, oldest first.
    expect(calls).toEqual([['a:1'], ['b:1', 'c:1', 'd:1'], ['e:1']]);
  });

  it('requests under the same key never run at the same time, and keep their order', async () => {
    const { gc, calls, releaseAll } = harness({ maxBatch: 8, slots: 4 });
    const all = ['a:1', 'a:2', 'b:1', 'a:3', 'c:1'].map((x) => gc.submit(x));
    // a:2 waits for a:1; a:3 must not overtake a:2; b and c have free slots.
    expect(calls).toEqual([['a:1'], ['b:1'], ['c:1']]);
    await releaseAll();
    await Promise.all(all);
    const order = calls.flat().filter((x) => x.startsWith('a:'));
    expect(order).toEqual(['a:1', 'a:2', 'a:3']);
    expect(calls.every((batch) => new Set(batch.map((x) => x[0])).size === batch.length)).toBe(true);
  });

  it('a shared transaction that fails whole runs each request again alone, where its own error is its answer', async () => {
    const { gc, calls, releaseAll } = harness({ maxBatch: 8, slots: 1, failTogether: true });
    const all = ['a:1', 'b:1', 'c:1!', 'd:1'].map((x) => gc.submit(x).catch((e: Error) => e.message));
    await releaseAll();
    expect(await Promise.all(all)).toEqual(['alone a:1', 'alone b:1', 'bad c:1!', 'alone d:1']);
    expect(calls).toEqual([['a:1'], ['b:1', 'c:1!', 'd:1'], ['b:1'], ['c:1!'], ['d:1']]);
    expect(gc.stats).toMatchObject({ batches: 1, fallbacks: 1, together: 3 });
  });

  it('per-request outcomes: an error answers only its request; "alone" reruns only its request', async () => {
    const outcome = (i: string): Outcome<string> | undefined => (i === 'c:1' ? { error: new Error('403 c') } : i === 'd:1' ? { alone: true } : undefined);
    const { gc, calls, releaseAll } = harness({ maxBatch: 8, slots: 1, outcome });
    const all = ['a:1', 'b:1', 'c:1', 'd:1'].map((x) => gc.submit(x).catch((e: Error) => e.message));
    await releaseAll();
    expect(await Promise.all(all)).toEqual(['alone a:1', 'together b:1', '403 c', 'alone d:1']);
    expect(calls).toEqual([['a:1'], ['b:1', 'c:1', 'd:1'], ['d:1']]);
    expect(gc.stats.fallbacks).toBe(0);
  });

  it('a write committed in a shared transaction counts for the request that sent it, not for the one whose turn ran it', async () => {
    // As Tx.run does: a committed unit counts for the request running it (http/retry-requests.ts reruns only those with none).
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const gc = new GroupCommit<string, string>({
      maxBatch: 4,
      slots: 1,
      keys: (item) => [item],
      alone: async (item) => {
        if (item === 'a') await first;
        const seen = callerCommits();
        if (seen) seen.units++;
        return item;
      },
      together: async (items) => {
        const seen = callerCommits();
        if (seen) seen.units++;
        return items.map((value) => ({ value }));
      },
    });
    const a = countingCommits(() => gc.submit('a').then(() => Promise.reject(new Error('a read after the save failed'))));
    await new Promise((r) => setImmediate(r));
    const b = countingCommits(() => gc.submit('b').then(() => Promise.reject(new Error('b failed too'))));
    const c = countingCommits(() => gc.submit('c').then(() => Promise.reject(new Error('c failed too'))));
    release(); // a's turn ends and runs b and c together
    expect((await a) as { committed: number }).toMatchObject({ committed: 1 });
    expect((await b) as { committed: number }).toMatchObject({ committed: 1 });
    expect((await c) as { committed: number }).toMatchObject({ committed: 1 });
  });
});
