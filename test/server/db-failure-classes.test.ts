import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, TEST_CONFIG } from '../support/harness';
import { createApp } from '../../server/src/app';
import { createDataSource } from '../../server/src/db/data-source';
import { errorHandler } from '../../server/src/http/middleware';
import { classifyDatabaseError } from '../../server/src/http/db-unavailable';

/**
 * Which database failures are "try again shortly" (503 + Retry-After, the sidebar resends) and which need a person
 * (503 db_storage_failed, no Retry-After, "contact the administrator"): see server/src/http/db-unavailable.ts.
 */

async function listen(koa: Koa): Promise<{ server: http.Server; base: string }> {
  const server = koa.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

if (process.env.TEST_MYSQL_URL) {
  describe('MariaDB row-lock contention that outlives the retries is a 503 + Retry-After, and nothing is written [mysql]', () => {
    const h = new Harness('mysql', 5);
    let server: http.Server;
    let base = '';
    let appDs: Awaited<ReturnType<ReturnType<typeof createDataSource>['initialize']>>;
    let holder: mysql.Connection;
    let url: URL;
    beforeAll(async () => {
      await h.start();
      url = new URL((h.ds.options as { url: string }).url);
      appDs = await createDataSource({ kind: 'mysql', url: url.toString() }, { poolSize: 2 }).initialize();
      // The app's own sessions wait 1 s for a row lock (session setting only; nothing global is changed).
      const runners = [appDs.createQueryRunner(), appDs.createQueryRunner()];
      await Promise.all(runners.map((q) => q.connect()));
      await Promise.all(runners.map((q) => q.query('SET SESSION innodb_lock_wait_timeout = 1')));
      await Promise.all(runners.map((q) => q.release()));
      const { koa } = createApp({ config: TEST_CONFIG, ds: appDs, clock: h.clock });
      ({ server, base } = await listen(koa));
      holder = await mysql.createConnection({
        host: url.hostname,
        port: Number(url.port || 3306),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: url.pathname.slice(1),
      });
    });
    afterAll(async () => {
      await holder?.end().catch(() => undefined);
      await new Promise<void>((r) => server.close(() => r()));
      await appDs.destroy().catch(() => undefined);
      await h.stop();
    });

    it('a lead edit waiting on a row another connection holds (ER_LOCK_WAIT_TIMEOUT) answers 503 + Retry-After; the lead is unchanged', async () => {
      const call = async (method: string, p: string, body?: unknown, token?: string) => {
        const res = await fetch(base + p, {
          method,
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
      };
      const zhang = await h.user('张敏');
      const { token } = (await call('POST', '/api/auth/dev-login', { userId: zhang.id })).body;
      const [lead] = await h.ds.query('SELECT * FROM `lead` WHERE ownerId = ? ORDER BY id LIMIT 1', [zhang.id]);
      const customer = async () => (await h.ds.query('SELECT * FROM customer WHERE id = ?', [lead.customerId]))[0];
      const customerBefore = await customer();
      const audits = await h.count('audit_log');
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM `lead` WHERE id = ? FOR UPDATE', [lead.id]);
      let r;
      try {
        r = await call('PATCH', `/api/leads/${lead.id}`, { city: '锁等待市' }, token);
      } finally {
        await holder.query('ROLLBACK');
      }
      expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status: 503, code: 'db_unavailable' });
      expect(r.body.error.message).toMatch(/数据库暂时不可用.*稍后/);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      const [after] = await h.ds.query('SELECT * FROM `lead` WHERE id = ?', [lead.id]);
      expect(after).toEqual(lead);
      expect(await customer()).toEqual(customerBefore);
      expect(await h.count('audit_log')).toBe(audits);
      // Once the lock is gone the same edit goes through.
      expect((await call('PATCH', `/api/leads/${lead.id}`, { city: '锁等待市' }, token)).status).toBe(200);
    }, 30_000);

    it('a real deadlock (ER_LOCK_DEADLOCK, errno 1213) is classed as transient', async () => {
      const a = holder;
      const b = await mysql.createConnection({
        host: url.hostname,
        port: Number(url.port || 3306),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: url.pathname.slice(1),
      });
      try {
        const ids = (await h.ds.query('SELECT id FROM `lead` ORDER BY id LIMIT 2')).map((x: { id: number }) => x.id);
        await a.query('BEGIN');
        await b.query('BEGIN');
        await a.query('SELECT id FROM `lead` WHERE id = ? FOR UPDATE', [ids[0]]);
        await b.query('SELECT id FROM `lead` WHERE id = ? FOR UPDATE', [ids[1]]);
        const results = await Promise.allSettled([
          a.query('SELECT id FROM `lead` WHERE id = ? FOR UPDATE', [ids[1]]),
          new Promise((r) => setTimeout(r, 100)).then(() => b.query('SELECT id FROM `lead` WHERE id = ? FOR UPDATE', [ids[0]])),
        ]);
        const failed = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected').map((x) => x.reason);
        expect(failed.map((e) => e.code)).toEqual(['ER_LOCK_DEADLOCK']);
        expect(classifyDatabaseError(failed[0])).toBe('unavailable');
      } finally {
        await a.query('ROLLBACK').catch(() => undefined);
        await b.query('ROLLBACK').catch(() => undefined);
        await b.end();
      }
    }, 30_000);
  });
}

describe('SQLite storage failures (disk full, I/O, cannot open, not a database) need an administrator: 503 db_storage_failed, no Retry-After [sqlite]', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-storage-'));
  let server: http.Server;
  let base = '';
  /** Real errors from the SQLite driver, thrown by a route behind the app's error handler. */
  const errors = new Map<string, unknown>();
  beforeAll(async () => {
    const garbage = path.join(dir, 'garbage.sqlite');
    fs.writeFileSync(garbage, Buffer.alloc(4096, 0x41));
    try {
      new Database(garbage).prepare('SELECT 1 FROM sqlite_master').all();
    } catch (err) {
      errors.set('notadb', err);
    }
    const file = path.join(dir, 'ok.sqlite');
    new Database(file).exec('CREATE TABLE t (a INTEGER)');
    try {
      new Database(file, { readonly: true }).exec('INSERT INTO t VALUES (1)');
    } catch (err) {
      errors.set('readonly', err);
    }
    try {
      new Database(file).exec('BEGIN IMMEDIATE');
      const other = new Database(file, { timeout: 1 });
      other.exec('BEGIN IMMEDIATE');
    } catch (err) {
      errors.set('busy', err);
    }
    const koa = new Koa();
    koa.use(errorHandler());
    koa.use(async (ctx) => {
      throw errors.get(ctx.path.slice(1));
    });
    ({ server, base } = await listen(koa));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the driver's own SQLITE_NOTADB and SQLITE_READONLY answer 503 db_storage_failed telling a person to contact the administrator", async () => {
    expect([...errors.keys()].sort()).toEqual(['busy', 'notadb', 'readonly']);
    for (const [name, code] of [
      ['notadb', 'SQLITE_NOTADB'],
      ['readonly', 'SQLITE_READONLY'],
    ]) {
      expect((errors.get(name) as { code: string }).code).toBe(code);
      const res = await fetch(`${base}/${name}`);
      const body = await res.json();
      expect({ name, status: res.status, code: body.error.code }).toEqual({ name, status: 503, code: 'db_storage_failed' });
      expect(body.error.message).toMatch(/联系管理员/);
      expect(body.error.message).not.toMatch(/稍后重试/);
      expect(res.headers.get('retry-after')).toBeNull();
    }
    // The other storage codes (disk full, I/O error, cannot open) are the same class; a busy file stays transient.
    for (const code of ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT']) {
      expect({ code, cls: classifyDatabaseError({ code }) }).toEqual({ code, cls: 'storage' });
      expect({ code, cls: classifyDatabaseError({ driverError: { code } }) }).toEqual({ code, cls: 'storage' });
    }
    expect((errors.get('busy') as { code: string }).code).toBe('SQLITE_BUSY');
    const busy = await fetch(`${base}/busy`);
    expect(busy.status).toBe(503);
    expect((await busy.json()).error.code).toBe('db_unavailable');
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
