import type { Actor } from './actor';

/**
 * Signed-in actors (user, company settings, org scope) kept for a few seconds, so a busy rep's requests
 * don't each re-read the user, the company and the org tree. Wall-clock time on purpose: this bounds
 * how stale a role or deactivation may be for reads (AUTH_CACHE_MS), it is not business time. Writes check
 * the actor's versions against the rows first (auth.middleware.ts), so for them nothing is stale.
 * ttlMs = 0 turns it off.
 */
export class ActorCache {
  private readonly entries = new Map<string, { actor: Actor; until: number }>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): Actor | null {
    if (this.ttlMs <= 0) return null;
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.until <= Date.now()) {
      this.entries.delete(key);
      return null;
    }
    return e.actor;
  }

  set(key: string, actor: Actor): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { actor, until: Date.now() + this.ttlMs });
  }

  /** One stale entry (a token whose user changed). */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** After a change to users, companies or org units made by this process. */
  clear(): void {
    this.entries.clear();
  }
}
