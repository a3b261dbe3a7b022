/**
 * Submissions per client IP and form in a sliding minute, per process (with N server processes behind a load balancer
 * a client gets at most N × the limit). Enough to stop one script flooding a form; a determined attacker is the load
 * balancer's job.
 */
export class RateLimit {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this hit is within the limit (and counts it). */
  allow(key: string): boolean {
    const t = this.now();
    const recent = (this.hits.get(key) ?? []).filter((at) => at > t - 60_000);
    if (recent.length >= this.perMinute) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(t);
    this.hits.set(key, recent);
    if (this.hits.size > 50_000) this.sweep(t);
    return true;
  }

  private sweep(t: number): void {
    for (const [k, v] of this.hits) if (!v.some((at) => at > t - 60_000)) this.hits.delete(k);
  }
}
