import type { Clock } from '../clock';

/**
 * One access token per app secret, refreshed 5 minutes before it expires. Concurrent callers share
 * one in-flight fetch (platforms rate-limit token fetches).
 */
export class TokenCache {
  private value: { token: string; expiresAt: number } | null = null;
  private inflight: Promise<string> | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly fetchToken: () => Promise<{ token: string; expiresIn: number }>,
  ) {}

  async get(force = false): Promise<string> {
    if (!force && this.value && this.clock.now() < this.value.expiresAt) return this.value.token;
    if (force) this.value = null;
    this.inflight ??= this.fetchToken()
      .then(({ token, expiresIn }) => {
        this.value = { token, expiresAt: this.clock.now() + Math.max(60, expiresIn - 300) * 1000 };
        return token;
      })
      .finally(() => (this.inflight = null));
    return this.inflight;
  }

  invalidate(): void {
    this.value = null;
  }
}
