import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: any;
  raw: string;
}

export interface FakeReply {
  status?: number;
  json?: unknown;
  text?: string;
  /** Content-Type of a `text` reply (e.g. an HTML error page from a gateway). */
  type?: string;
  /** Hold the reply this long (timeouts). */
  delayMs?: number;
  /** Drop the connection without answering (a network failure as the caller sees it). */
  hangUp?: boolean;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

/**
 * A real HTTP server on 127.0.0.1 for platform fakes: routes by method + path, records every request,
 * and lets a test queue one-off replies (errors, timeouts) ahead of the normal handler.
 */
export class HttpFake {
  readonly requests: FakeRequest[] = [];
  private readonly routes = new Map<string, FakeHandler>();
  private readonly injected = new Map<string, FakeReply[]>();
  private server?: http.Server;
  base = '';

  route(method: string, path: string, handler: FakeHandler): this {
    this.routes.set(`${method} ${path}`, handler);
    return this;
  }

  /** The next `times` calls to method+path get `reply` instead of the handler. */
  inject(method: string, path: string, reply: FakeReply, times = 1): this {
    const key = `${method} ${path}`;
    const list = this.injected.get(key) ?? [];
    for (let i = 0; i < times; i++) list.push(reply);
    this.injected.set(key, list);
    return this;
  }

  calls(method: string, path: string): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          /* not JSON */
        }
        const fr: FakeRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body,
          raw,
        };
        this.requests.push(fr);
        const key = `${fr.method} ${fr.path}`;
        const queued = this.injected.get(key)?.shift();
        const handler = this.routes.get(key);
        const reply: FakeReply = queued ?? (handler ? await handler(fr) : { status: 404, json: { errcode: 404, errmsg: `no fake route ${key}` } });
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (res.destroyed) return;
        if (reply.hangUp) {
          req.socket.destroy();
          return;
        }
        res.statusCode = reply.status ?? 200;
        if (reply.text !== undefined) {
          if (reply.type) res.setHeader('content-type', reply.type);
          res.end(reply.text);
        } else {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(reply.json ?? {}));
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/**
 * Answers a platform gives when something between us and it (or the platform itself) misbehaves: an HTML page with
 * 200 (a captive proxy), a gateway's 502 page, a JSON body cut short, and a dropped connection.
 */
export const UNEXPECTED_REPLIES: Record<string, FakeReply> = {
  'an HTML page with 200': { text: '<!doctype html><html><body>系统维护中</body></html>', type: 'text/html' },
  'a gateway 502 page': { status: 502, text: '<html><head><title>502 Bad Gateway</title></head></html>', type: 'text/html' },
  'JSON cut short': { text: '{"errcode":0,"errmsg":"ok","userid":"zh', type: 'application/json' },
  'JSON that is not an object': { json: [1, 2, 3] },
  'a dropped connection': { hangUp: true },
};
