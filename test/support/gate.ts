import type { Checkpoints } from '../../server/src/checkpoints';

/**
 * Forces interleavings: `hold(name)` makes the next unit of work that reaches checkpoint `name` wait there until
 * released. `reached` resolves when it arrives, so a test can run another transaction against it, then `release()`.
 * Points nobody holds pass at once.
 */
export class Gate implements Checkpoints {
  private readonly holds = new Map<string, Hold[]>();
  private readonly failures = new Map<string, { error: () => Error; left: number }>();
  /** Every checkpoint reached, in order (to assert that a path went where the test meant it to). */
  readonly passed: string[] = [];

  hold(name: string): Hold {
    const h = new Hold(name);
    this.holds.set(name, [...(this.holds.get(name) ?? []), h]);
    return h;
  }

  /**
   * The next `times` units of work that reach checkpoint `name` fail there with `error` (a Galera certification
   * failure, a node leaving the cluster…): what the database would answer at that point.
   */
  fail(name: string, error: () => Error, times = 1): void {
    this.failures.set(name, { error, left: times });
  }

  async reach(name: string): Promise<void> {
    this.passed.push(name);
    const failure = this.failures.get(name);
    if (failure && failure.left > 0) {
      failure.left--;
      throw failure.error();
    }
    const queue = this.holds.get(name);
    const h = queue?.shift();
    if (!h) return;
    if (!queue!.length) this.holds.delete(name);
    h.arrive();
    await h.released;
  }
}

export class Hold {
  readonly reached: Promise<void>;
  readonly released: Promise<void>;
  private arriveFn!: () => void;
  private releaseFn!: () => void;

  constructor(readonly name: string) {
    this.reached = new Promise((r) => (this.arriveFn = r));
    this.released = new Promise((r) => (this.releaseFn = r));
  }

  arrive() {
    this.arriveFn();
  }

  release() {
    this.releaseFn();
  }
}
