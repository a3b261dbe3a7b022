import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpFake, type FakeReply, type FakeRequest } from './http-fake';

/**
 * A partner's webhook endpoint: a real HTTP server that checks each delivery's signature the way docs/integrations.md
 * tells a receiver to (its own HMAC code, not the server's), records what it got, and can be told to fail or be slow.
 */
export class WebhookReceiverFake {
  readonly http = new HttpFake();
  readonly received: { at: number; event: any; signatureOk: boolean; headers: FakeRequest['headers'] }[] = [];
  reply: FakeReply = { status: 204, text: '' };

  constructor(private readonly secret: () => string) {
    this.http.route('POST', '/hook', (req) => {
      this.received.push({ at: Date.now(), event: req.body, signatureOk: this.verify(req), headers: req.headers });
      return this.reply;
    });
  }

  get url(): string {
    return `${this.http.base}/hook`;
  }

  private verify(req: FakeRequest): boolean {
    const ts = String(req.headers['x-lifeline-timestamp'] ?? '');
    const given = Buffer.from(String(req.headers['x-lifeline-signature'] ?? ''), 'hex');
    const expected = createHmac('sha256', this.secret()).update(`${ts}.${req.raw}`, 'utf8').digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  ofType(type: string) {
    return this.received.filter((r) => r.event?.type === type);
  }

  start() {
    return this.http.start();
  }

  stop() {
    return this.http.stop();
  }
}
