import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import aws4 from 'aws4';

/**
 * An S3-compatible object store on loopback (path-style: /<bucket>/<key>): PUT, GET, HEAD, DELETE, each request's AWS
 * Signature V4 recomputed from what arrived and compared, the body's SHA-256 checked against x-amz-content-sha256.
 * `failNext(status)` answers the next request with that status, as a store having a bad moment.
 */
export class FakeS3 {
  readonly objects = new Map<string, Buffer>();
  readonly requests: { method: string; key: string; status: number }[] = [];
  private server?: http.Server;
  private failures: number[] = [];
  base = '';

  constructor(
    readonly bucket = 'lifeline-snapshots',
    readonly accessKeyId = 'AKIAFAKE0000',
    readonly secretAccessKey = 'fake-secret-key-0000',
    readonly region = 'cn-east-1',
  ) {}

  failNext(status: number) {
    this.failures.push(status);
  }

  private signatureOk(req: http.IncomingMessage): boolean {
    const h = req.headers;
    const headers: Record<string, string> = {
      'x-amz-content-sha256': String(h['x-amz-content-sha256'] ?? ''),
      'X-Amz-Date': String(h['x-amz-date'] ?? ''),
    };
    if (h['content-length'] !== undefined && req.method === 'PUT') headers['content-length'] = String(h['content-length']);
    const again = aws4.sign(
      { host: String(h.host), path: req.url, method: req.method, service: 's3', region: this.region, headers },
      { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
    );
    return (again.headers as Record<string, string>).Authorization === h.authorization;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const [, bucket, ...rest] = decodeURIComponent(new URL(req.url!, 'http://x').pathname).split('/');
    const key = rest.join('/');
    const answer = (status: number, text = '') => {
      this.requests.push({ method: req.method!, key, status });
      res.writeHead(status, { 'content-type': 'application/xml' }).end(text);
    };
    const failure = this.failures.shift();
    if (failure) return answer(failure, '<Error><Code>ServiceUnavailable</Code></Error>');
    if (!this.signatureOk(req)) return answer(403, '<Error><Code>SignatureDoesNotMatch</Code></Error>');
    if (bucket !== this.bucket) return answer(404, '<Error><Code>NoSuchBucket</Code></Error>');
    if (req.method === 'PUT') {
      if (createHash('sha256').update(body).digest('hex') !== req.headers['x-amz-content-sha256'])
        return answer(400, '<Error><Code>XAmzContentSHA256Mismatch</Code></Error>');
      this.objects.set(key, body);
      return answer(200);
    }
    const stored = this.objects.get(key);
    if (req.method === 'DELETE') {
      this.objects.delete(key);
      return answer(204);
    }
    if (!stored) return answer(404, '<Error><Code>NoSuchKey</Code></Error>');
    if (req.method === 'HEAD') return answer(200);
    this.requests.push({ method: 'GET', key, status: 200 });
    res.writeHead(200, { 'content-length': stored.length }).end(stored);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res).catch(() => res.writeHead(500).end()));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop() {
    await new Promise((r) => this.server?.close(r));
  }
}
