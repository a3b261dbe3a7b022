import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_CONFIG, TEST_NOW, type Res } from '../support/harness';
import { createApp } from '../../server/src/app';
import { createDataSource } from '../../server/src/db/data-source';
import { migrate } from '../../server/src/db/migrate';
import { seedDemo } from '../../server/src/demo/seed';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeWecom } from '../fakes/wecom-server';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { FakeLlm } from '../fakes/llm-server';
import { UNEXPECTED_REPLIES, type FakeReply } from '../fakes/http-fake';
import { User } from '../../server/src/users/user.entity';

/** A failure answered the way every failure must be: the status, a Chinese message, the request id, never a stack. */
function expectClean(r: Res, status: number, message: RegExp) {
  expect({ status: r.status, message: r.body?.error?.message }).toEqual({ status, message: expect.stringMatching(message) });
  expect(r.text).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+|SyntaxError|TypeError|fetch failed/);
}

/** Sends `total` bytes chunked (no Content-Length) and reports the answer, or status 0 when the connection was reset. */
function chunkedUpload(url: string, headers: Record<string, string>, total: number): Promise<{ status: number; body: any; error?: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* keep text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', (e) => resolve({ status: 0, body: null, error: e.message }));
    });
    req.on('error', (e) => resolve({ status: 0, body: null, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describeEachDb('never a 500: bad input and platform failures get a 4xx/502 a person can act on', (kind) => {
  const wecom = new FakeWecom();
  const dingtalk = new FakeDingtalk();
  const llm = new FakeLlm();
  let h: Harness;

  beforeAll(async () => {
    await Promise.all([wecom.start(), dingtalk.start(), llm.start()]);
    wecom.route(
      'GET',
      '/cgi-bin/auth/getuserinfo',
      wecom.authed(() => ({ errcode: 0, errmsg: 'ok', userid: 'zhangmin' })),
    );
    wecom.route(
      'GET',
      '/cgi-bin/get_jsapi_ticket',
      wecom.authed(() => ({ errcode: 0, errmsg: 'ok', ticket: 'corp-ticket', expires_in: 7200 })),
    );
    wecom.route(
      'GET',
      '/cgi-bin/ticket/get',
      wecom.authed(() => ({ errcode: 0, errmsg: 'ok', ticket: 'agent-ticket', expires_in: 7200 })),
    );
    wecom.route(
      'GET',
      '/cgi-bin/externalcontact/get',
      wecom.authed(() => ({
        errcode: 0,
        errmsg: 'ok',
        external_contact: { external_userid: 'wmWang', name: '王妈妈' },
        follow_user: [{ userid: 'zhangmin', remark_mobiles: ['13915441234'] }],
      })),
    );
    dingtalk.route(
      'POST',
      '/topapi/v2/user/getuserinfo',
      dingtalk.oapiAuthed(() => ({ errcode: 0, result: { userid: 'dt-zhangmin' } })),
    );
    h = await new Harness(kind, 10, {
      wecom: { corpId: wecom.corpId, agentId: 1000002, secret: wecom.secret, apiBase: wecom.base },
      dingtalk: { appKey: dingtalk.appKey, appSecret: dingtalk.appSecret, apiBase: dingtalk.base, corpId: 'dingcorp' },
      llm: { baseUrl: llm.v1, apiKey: llm.apiKey, model: 'qwen-plus', asrModel: 'whisper-1', timeoutMs: 2000 },
      importMaxBytes: 1024 * 1024,
    }).start();
    await h.ds.getRepository(User).update({ name: '张敏' }, { wecomUserId: 'zhangmin', dingtalkUserId: 'dt-zhangmin' });
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all([wecom.stop(), dingtalk.stop(), llm.stop()]);
  });

  it('GET /console/?user=<not an id> is a 400 naming the problem', async () => {
    for (const user of ['Infinity', '-Infinity', '1e400', '-1', '1.5', 'abc', '99999999999999999999']) {
      const r = await h.req('GET', `/console/?user=${user}`);
      expectClean(r, 400, /用户编号/);
    }
    expect((await h.req('GET', '/console/')).status).toBe(200);
    expect((await h.req('GET', `/console/?user=${(await h.user('张敏')).id}`)).status).toBe(200);
  });

  it('a sidebar path that is not valid percent-encoding (URIError) is a 400, not a 500', async () => {
    for (const path of ['/sidebar/%c0%ae%c0%ae/package.json', '/sidebar/%E0%A4%A', '/sidebar/%']) {
      expectClean(await h.req('GET', path), 400, /地址/);
    }
  });

  // Each platform call the sidebar makes, and what an unexpected answer there looks like to the person.
  const wecomCalls: [string, string, string, () => Promise<Res>][] = [
    ['WeCom login', 'GET', '/cgi-bin/auth/getuserinfo', () => h.req('POST', '/api/auth/wecom', { body: { code: 'code-zhangmin' } })],
    [
      'JS-SDK signature',
      'GET',
      '/cgi-bin/get_jsapi_ticket',
      () => h.req('GET', `/api/wecom/jsapi-signature?url=${encodeURIComponent('https://crm.example.com/sidebar/')}`, { as: '张敏' }),
    ],
    ['external contact', 'GET', '/cgi-bin/externalcontact/get', () => h.req('GET', '/api/wecom/external-contact/wmWang', { as: '张敏' })],
  ];
  const dingtalkLogin = () => h.req('POST', '/api/auth/dingtalk', { body: { authCode: 'dt-good' } });

  it('a token fetch that gets garbage is a 502 (WeCom and DingTalk), and the next call works', async () => {
    wecom.inject('GET', '/cgi-bin/gettoken', UNEXPECTED_REPLIES['an HTML page with 200']);
    expectClean(await wecomCalls[0][3](), 502, /企业微信.*稍后重试/);
    dingtalk.inject('GET', '/gettoken', { json: { errcode: 0, errmsg: 'ok' } }); // no access_token at all
    expectClean(await dingtalkLogin(), 502, /钉钉.*稍后重试/);
    expect((await wecomCalls[0][3]()).status).toBe(200);
    expect((await dingtalkLogin()).status).toBe(200);
  });

  for (const [label, reply] of Object.entries<FakeReply>({
    ...UNEXPECTED_REPLIES,
    'an errcode we do not know': { json: { errcode: 60020, errmsg: 'not allow to access from your ip' } },
  })) {
    it(`WeCom answering ${label}: login, JS-SDK signature and external contact are a 502 with a Chinese message`, async () => {
      for (const [name, method, path, call] of wecomCalls) {
        wecom.inject(method, path, reply);
        const r = await call();
        expect({ name, status: r.status }).toEqual({ name, status: 502 });
        expectClean(r, 502, /企业微信.*稍后重试/);
        expect(r.body.error.message).toContain(r.headers.get('x-request-id'));
        expect(r.body.error.code).toBe('platform_unavailable');
      }
    });
    it(`DingTalk answering ${label}: login is a 502 with a Chinese message`, async () => {
      dingtalk.inject('POST', '/topapi/v2/user/getuserinfo', reply);
      const r = await dingtalkLogin();
      expectClean(r, 502, /钉钉.*稍后重试/);
      expect(r.body.error.code).toBe('platform_unavailable');
    });
  }

  it('after the failures every call works again (nothing bad was cached)', async () => {
    for (const [name, , , call] of wecomCalls) expect({ name, status: (await call()).status }).toEqual({ name, status: 200 });
    expect((await dingtalkLogin()).status).toBe(200);
  });

  it('a chunked voice upload over 4 MB gets a 413 with a JSON message, not a reset connection', async () => {
    const token = await h.token('张敏');
    const r = await chunkedUpload(`${h.base}/api/sidebar/voice`, { 'content-type': 'audio/webm', authorization: `Bearer ${token}` }, 6 * 1024 * 1024);
    expect(r).toMatchObject({ status: 413, body: { error: { code: 'too_large', message: expect.stringContaining('录音太长') } } });
    // The connection is still good for the next upload.
    llm.transcript = '明天回电';
    const ok = await chunkedUpload(`${h.base}/api/sidebar/voice`, { 'content-type': 'audio/webm', authorization: `Bearer ${token}` }, 128 * 1024);
    expect(ok.status).toBe(200);
  });

  it('a chunked import upload over IMPORT_MAX_BYTES gets a 413 with a JSON message, and no job', async () => {
    const token = await h.token('李静');
    const jobs = await h.count('import_job');
    const r = await chunkedUpload(
      `${h.base}/api/imports?channel=${encodeURIComponent('抖音-202601直播')}&filename=big.csv`,
      { 'content-type': 'text/csv', authorization: `Bearer ${token}` },
      3 * 1024 * 1024,
    );
    expect(r).toMatchObject({ status: 413, body: { error: { code: 'too_large', message: expect.stringContaining('文件过大') } } });
    expect(await h.count('import_job')).toBe(jobs);
  });
});

describeEachDb('database outage: 503 with Retry-After, never a 500', (kind) => {
  const h = new Harness(kind, 10);
  beforeAll(() => h.start());
  afterAll(async () => {
    if (!h.ds.isInitialized) await h.ds.initialize(); // so the harness can drop it
    await h.stop();
  });

  it('with the database gone, reads, follow-up saves and the health check answer 503 + Retry-After; the sidebar keeps its entry', async () => {
    const token = await h.token('张敏');
    const leadId = (await h.req('GET', '/api/leads?owner=me&pageSize=1', { token })).body.items[0].id;
    await h.ds.destroy();
    const calls: [string, () => Promise<Res>][] = [
      ['leads', () => h.req('GET', '/api/leads', { token })],
      [
        'follow-up save',
        () =>
          h.req('POST', '/api/followups', {
            token,
            body: { leadId, action: '已电话沟通', clientRequestId: `outage-${kind}` },
            headers: { 'idempotency-key': `outage-${kind}` },
          }),
      ],
      ['health', () => h.req('GET', '/healthz')],
      ['dev login', () => h.req('POST', '/api/auth/dev-login', { body: { role: 'rep' } })],
    ];
    for (const [name, call] of calls) {
      const r = await call();
      expect({ name, status: r.status }).toEqual({ name, status: 503 });
      expectClean(r, 503, /数据库暂时不可用.*稍后/);
      expect(r.body.error.code).toBe('db_unavailable');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });
});

/** A TCP hop between the app and MariaDB that a test can cut (every connection dropped, port closed) and restore. */
class CuttableProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

if (process.env.TEST_MYSQL_URL) {
  describe('database outage on MariaDB: the connection drops under a running app, then comes back [mysql]', () => {
    const h = new Harness('mysql', 10);
    let proxy: CuttableProxy;
    let server: http.Server;
    let base = '';
    beforeAll(async () => {
      await h.start();
      const url = new URL((h.ds.options as { url: string }).url);
      proxy = new CuttableProxy({ host: url.hostname, port: Number(url.port || 3306) });
      await proxy.open();
      url.host = `127.0.0.1:${proxy.port}`;
      const ds = await createDataSource({ kind: 'mysql', url: url.toString() }, { poolSize: 4 }).initialize();
      const { koa } = createApp({ config: TEST_CONFIG, ds, clock: h.clock });
      server = koa.listen(0, '127.0.0.1');
      await new Promise<void>((r) => server.once('listening', () => r()));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      (server as unknown as { ds: typeof ds }).ds = ds;
    });
    afterAll(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await (server as unknown as { ds: { destroy(): Promise<void> } }).ds.destroy().catch(() => undefined);
      await proxy.cut();
      await h.stop();
    });

    it('answers 503 + Retry-After while MariaDB is unreachable and 200 again once it is back', async () => {
      const get = async (path: string, token?: string) => {
        const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        const text = await res.text();
        return { status: res.status, text, headers: res.headers, body: text ? JSON.parse(text) : null } as Res;
      };
      const login = await fetch(`${base}/api/auth/dev-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"role":"rep"}' });
      const { token } = await login.json();
      expect((await get('/api/leads', token)).status).toBe(200);
      await proxy.cut();
      for (let i = 0; i < 3; i++) {
        const r = await get('/api/leads', token);
        expectClean(r, 503, /数据库暂时不可用/);
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      await proxy.open();
      expect((await get('/api/leads', token)).status).toBe(200);
      expect((await get('/healthz')).status).toBe(200);
    });
  });
}

describe('database outage on SQLite: another process holds the write lock past busy_timeout [sqlite]', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-busy-'));
  const file = path.join(dir, 'lifeline.sqlite');
  let server: http.Server;
  let ds: Awaited<ReturnType<ReturnType<typeof createDataSource>['initialize']>>;
  let base = '';
  beforeAll(async () => {
    ds = await createDataSource({ kind: 'sqlite', url: file }).initialize();
    await migrate(ds);
    await seedDemo(ds, { now: TEST_NOW, leads: 5 });
    const { koa } = createApp({ config: TEST_CONFIG, ds });
    server = koa.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await ds.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a follow-up save is answered 503 + Retry-After while the lock is held, and the same save resent later is stored once', async () => {
    const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(base + p, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, text, headers: res.headers, body: text ? JSON.parse(text) : null } as Res;
    };
    const { token } = (await call('POST', '/api/auth/dev-login', { role: 'rep' })).body;
    const auth = { authorization: `Bearer ${token}` };
    const leadId = (await call('GET', '/api/leads?owner=me&pageSize=1', undefined, auth)).body.items[0].id;
    const save = () =>
      call('POST', '/api/followups', { leadId, action: '已电话沟通', clientRequestId: 'busy-save-0001' }, { ...auth, 'idempotency-key': 'busy-save-0001' });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE'); // another process writing and not letting go (5 s busy_timeout)
    try {
      const r = await save();
      expectClean(r, 503, /数据库暂时不可用.*自动重新提交/);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const [again, twice] = [await save(), await save()];
    expect([again.status, twice.status]).toEqual([201, 200]);
    const [row] = await ds.query(`SELECT COUNT(*) AS n FROM followup WHERE leadId = ? AND clientRequestId = 'busy-save-0001'`, [leadId]);
    expect(Number(row.n)).toBe(1);
  }, 20_000);
});
