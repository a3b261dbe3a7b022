import { createHmac } from 'node:crypto';

/**
 * A finance or after-sales system pushing its events to Lifeline over real HTTP, signing as docs/integrations.md
 * tells an integrator to: `X-Lifeline-Timestamp` = unix seconds, `X-Lifeline-Signature` = hex HMAC-SHA256 of
 * `${timestamp}.${raw body}`. Written from the document, not from the server's code.
 */
export class BusinessSystemFake {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly now: () => number,
  ) {}

  sign(timestamp: string, body: string): string {
    return createHmac('sha256', this.secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  }

  async send(event: unknown, opts: { body?: string; timestamp?: string; signature?: string | null } = {}) {
    const body = opts.body ?? JSON.stringify(event);
    const timestamp = opts.timestamp ?? String(Math.floor(this.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-lifeline-timestamp': timestamp };
    const signature = opts.signature === undefined ? this.sign(timestamp, body) : opts.signature;
    if (signature !== null) headers['x-lifeline-signature'] = signature;
    const res = await fetch(this.url, { method: 'POST', headers, body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
}
