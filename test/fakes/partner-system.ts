/** A 渠道商's system calling the partner API over real HTTP with its key, as docs/integrations.md describes. */
export class PartnerSystemFake {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  async refer(referral: Record<string, unknown>) {
    return this.call('POST', '/api/partner/leads', referral);
  }

  async progress(page = 1) {
    return this.call('GET', `/api/partner/leads?page=${page}`);
  }

  private async call(method: string, path: string, body?: unknown) {
    const res = await fetch(this.base + path, {
      method,
      headers: { 'x-partner-key': this.key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
}
