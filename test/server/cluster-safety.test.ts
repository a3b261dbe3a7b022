import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from 'koa';
import { describeEachDb, Harness } from '../support/harness';
import { insertRows } from '../../server/src/db/rows';
import { backoffMs, gaveUp, RETRY, retryReasonOf, withRetries } from '../../server/src/db/retry';
import { prepareSchema } from '../../server/src/db/migrate';
import { COMMIT_MARKER_KEEP_MS, committed, sweepCommitMarkers, writeCommitMarker } from '../../server/src/db/commit-marker';
import { doneOutside } from '../../server/src/db/tx';
import { retryingDatabaseFailures } from '../../server/src/http/retry-requests';
import { User } from '../../server/src/users/user.entity';

/**
 * What a multi-primary cluster (Galera; docs/operations.md) does to a unit of work, and what Lifeline promises then:
 * ids are read back, never derived from a cached auto_increment step; every transaction runs under one retry policy;
 * a request whose reads lost their node is run again; migrations are not run by servers racing at start.
 */

const dbError = (errno: number, code: string, message = code) => Object.assign(new Error(message), { errno, code });
const wsrepNotReady = () => dbError(1047, 'ER_UNKNOWN_COM_ERROR', 'WSREP has not yet prepared node for application use');
const certificationFailure = () => dbError(1213, 'ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock; try restarting transaction');

describe('the retry policy (db/retry.ts)', () => {
  it('tells conflicts and lost nodes from faults of the request or the code', () => {
    expect(retryReasonOf(certificationFailure())).toBe('conflict');
    expect(retryReasonOf(dbError(1205, 'ER_LOCK_WAIT_TIMEOUT'))).toBe('conflict');
    expect(retryReasonOf(dbError(9007, 'UNKNOWN', 'Write conflict (TiDB)'))).toBe('conflict');
    expect(retryReasonOf(dbError(8028, 'UNKNOWN', 'Information schema is changed (TiDB)'))).toBe('conflict');
    expect(retryReasonOf(wsrepNotReady())).toBe('node');
    expect(retryReasonOf(dbError(1180, 'ER_ERROR_DURING_COMMIT'))).toBe('node');
    expect(retryReasonOf(Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' }))).toBe('node');
    expect(retryReasonOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('node');
    // TypeORM wraps the driver's error: the policy reads the driver's.
    expect(retryReasonOf({ message: 'Query failed', driverError: wsrepNotReady() })).toBe('node');
    expect(retryReasonOf(dbError(1062, 'ER_DUP_ENTRY'))).toBeNull();
    expect(retryReasonOf(dbError(1064, 'ER_PARSE_ERROR'))).toBeNull();
    expect(retryReasonOf(new TypeError('x is undefined'))).toBeNull();
  });

  it('waits a random time up to an exponential, capped bound ("full jitter")', () => {
    expect(backoffMs(1, () => 0)).toBe(0);
    expect(backoffMs(1, () => 0.999)).toBeLessThan(RETRY.baseMs);
    expect(backoffMs(3, () => 0.999)).toBe(Math.floor(0.999 * RETRY.baseMs * 4));
    expect(backoffMs(30, () => 0.999)).toBe(Math.floor(0.999 * RETRY.capMs));
    const waits = Array.from({ length: 200 }, () => backoffMs(4));
    expect(new Set(waits).size).toBeGreaterThan(50); // two units that collided do not wait the same
  });

  it('runs a unit again until it succeeds, gives up after the attempts, and never retries a fault', async () => {
    let runs = 0;
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    await expect(
      withRetries(
        async () => {
          if (++runs < 3) throw certificationFailure();
          return 'done';
        },
        { sleep },
      ),
    ).resolves.toBe('done');
    expect(runs).toBe(3);
    expect(waits).toHaveLength(2);

    runs = 0;
    const err = await withRetries(
      async () => {
        runs++;
        throw wsrepNotReady();
      },
      { sleep },
    ).catch((e) => e);
    expect(runs).toBe(RETRY.attempts);
    expect(gaveUp(err)).toBe(true);
    // A unit that already gave up is not run again by an outer retry (a request around a transaction).
    runs = 0;
    await withRetries(
      async () => {
        runs++;
        throw err;
      },
      { sleep },
    ).catch(() => undefined);
    expect(runs).toBe(1);

    runs = 0;
    await withRetries(
      async () => {
        runs++;
        throw dbError(1062, 'ER_DUP_ENTRY');
      },
      { sleep },
    ).catch(() => undefined);
    expect(runs).toBe(1);
  });

  it('stops at the time budget whatever the attempts left', async () => {
    let t = 0;
    let runs = 0;
    await withRetries(
      async () => {
        runs++;
        t += 4_000; // each run takes 4 s (a node that hangs before it refuses)
        throw wsrepNotReady();
      },
      { sleep: async () => undefined, now: () => t },
    ).catch(() => undefined);
    expect(runs).toBe(3);
  });

  it('a request whose connection lost its node before it committed anything is answered by a rerun, a read or a write', async () => {
    for (const method of ['GET', 'POST']) {
      let runs = 0;
      const router = async (ctx: Context) => {
        runs++;
        if (runs === 1) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        ctx.body = { ok: true };
        ctx.status = 200;
      };
      const ctx = { method, status: 404, body: undefined, state: {} } as unknown as Context;
      await retryingDatabaseFailures(router)(ctx, async () => undefined);
      expect(runs).toBe(2);
      expect(ctx.body).toEqual({ ok: true });
    }
  });

  it('a request that called another system before its database failed is not run again whole (the call would repeat)', async () => {
    let runs = 0;
    const router = async () => {
      runs++;
      doneOutside(); // e.g. a one-time OAuth code exchanged with the platform
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    };
    const ctx = { method: 'POST', status: 404, body: undefined, state: {} } as unknown as Context;
    const failed = await retryingDatabaseFailures(router)(ctx, async () => undefined).catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 'ECONNRESET' });
    expect(gaveUp(failed)).toBe(true);
    expect(runs).toBe(1);
  });
});

describeEachDb('cluster safety: transactions under the retry policy', (kind) => {
  const h = new Harness(kind, 12);
  let leadId: number;
  beforeAll(async () => {
    await h.start();
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814542222', name: '周爸爸', grade: '初二', channel: '抖音-202601直播' } });
    leadId = r.body.lead.id;
  });
  afterAll(() => h.stop());

  it('a save that fails certification at commit is run again: stored once, answered with its own id, audited once', async () => {
    const before = { f: await h.count('followup'), a: await h.count('audit_log', "entity = 'followup'") };
    h.gate.fail('tx:followup.save:beforeCommit', certificationFailure);
    const r = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', conclusion: '想先试听一次' },
      headers: { 'Idempotency-Key': `cs-${kind}-1` },
    });
    expect(r.status).toBe(201);
    expect(h.gate.passed.filter((p) => p === 'tx:followup.save:beforeCommit')).toHaveLength(2);
    expect(await h.count('followup')).toBe(before.f + 1);
    const [row] = await h.ds.query('SELECT id FROM followup WHERE clientRequestId = ?', [`cs-${kind}-1`]);
    expect(r.body.id).toBe(Number(row.id));
    const audits = await h.ds.query("SELECT entityId FROM audit_log WHERE entity = 'followup' AND action = 'create' AND entityId = ?", [r.body.id]);
    expect(audits).toHaveLength(1);
    expect(await h.count('audit_log', "entity = 'followup'")).toBe(before.a + 1);
  });

  it('a node that stays out of the cluster (1047) is a 503 with Retry-After and a message to act on; nothing is written', async () => {
    const before = await h.count('followup');
    h.gate.fail('tx:followup.save:beforeCommit', wsrepNotReady, 1_000);
    const r = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', conclusion: '再约时间' },
      headers: { 'Idempotency-Key': `cs-${kind}-2` },
    });
    h.gate.fail('tx:followup.save:beforeCommit', wsrepNotReady, 0);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.body.error.code).toBe('db_unavailable');
    expect(r.body.error.message).toMatch(/数据库暂时不可用，请稍后重试/);
    expect(h.gate.passed.filter((p) => p === 'tx:followup.save:beforeCommit').length).toBeGreaterThanOrEqual(3);
    expect(await h.count('followup')).toBe(before);
    // The sidebar's outbox sends it again once the cluster is back: stored once.
    const again = await h.req('POST', '/api/followups', {
      as: '张敏',
      body: { leadId, action: '已电话沟通', conclusion: '再约时间' },
      headers: { 'Idempotency-Key': `cs-${kind}-2` },
    });
    expect(again.status).toBe(201);
    expect(await h.count('followup')).toBe(before + 1);
  });

  const connectionLost = () =>
    Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });

  it.skipIf(kind !== 'mysql')('a COMMIT that landed but whose answer was lost is answered from the unit: one lead, its own id, audited once', async () => {
    const before = await h.count('lead');
    h.gate.fail('tx:lead.create:afterCommit', connectionLost);
    const passed = h.gate.passed.length;
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13814543333', name: '吴妈妈', grade: '初一', channel: '抖音-202601直播' } });
    expect(r.status).toBe(201);
    expect(h.gate.passed.slice(passed).filter((p) => p.startsWith('tx:lead.create:'))).toEqual(['tx:lead.create:beforeCommit', 'tx:lead.create:afterCommit']);
    expect(await h.count('lead')).toBe(before + 1);
    const [row] = await h.ds.query("SELECT l.id FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.name = '吴妈妈'");
    expect(r.body.lead.id).toBe(Number(row.id));
    expect(await h.ds.query("SELECT id FROM audit_log WHERE entity = 'lead' AND action = 'create' AND entityId = ?", [r.body.lead.id])).toHaveLength(1);
  });

  it.skipIf(kind !== 'mysql')('a COMMIT lost with its connection before it landed is found not committed and run again: applied once', async () => {
    const [{ score: before }] = await h.ds.query('SELECT score FROM `lead` WHERE id = ?', [leadId]);
    let runs = 0;
    let connection = 0;
    const held = h.gate.hold('tx:lead.update:beforeCommit');
    // Not idempotent on purpose: run again after it had committed, the score would be 2 up.
    const done = h.app.tx.run(async (em) => {
      runs++;
      [{ id: connection }] = await em.query('SELECT CONNECTION_ID() AS id');
      await em.query('UPDATE `lead` SET score = score + 1 WHERE id = ?', [leadId]);
      return runs;
    }, 'lead.update');
    await held.reached;
    await h.ds.query(`KILL CONNECTION ${Number(connection)}`); // the server drops it: its COMMIT is never applied
    held.release();
    expect(await done).toBe(2);
    const [{ score }] = await h.ds.query('SELECT score FROM `lead` WHERE id = ?', [leadId]);
    expect(Number(score)).toBe(Number(before) + 1);
  });

  it.skipIf(kind !== 'mysql')('the fence waits for a COMMIT still in flight: committed when it lands, never when it is rolled back', async () => {
    for (const outcome of ['commit', 'rollback'] as const) {
      // The orphan: a unit whose client is gone while the server still holds its transaction open.
      const qr = h.ds.createQueryRunner();
      await qr.connect();
      await qr.startTransaction();
      const marker = await writeCommitMarker(qr);
      let settled = false;
      const fence = committed(h.ds, marker).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false); // waiting on the orphan's marker, not answering "not committed" too early
      if (outcome === 'commit') await qr.commitTransaction();
      else await qr.rollbackTransaction();
      await qr.release();
      expect(await fence).toBe(outcome === 'commit');
    }
  });

  it.skipIf(kind !== 'mysql')('commit markers are kept while a lost COMMIT may still look them up, then swept', async () => {
    const now = Date.now();
    await h.ds.query('INSERT INTO commit_marker (id, at) VALUES (?, ?), (?, ?)', ['old-marker', now - COMMIT_MARKER_KEEP_MS - 1, 'new-marker', now - 1_000]);
    expect(await sweepCommitMarkers(h.ds, now)).toBeGreaterThanOrEqual(1);
    expect((await h.ds.query("SELECT id FROM commit_marker WHERE id IN ('old-marker', 'new-marker')")).map((r: { id: string }) => r.id)).toEqual([
      'new-marker',
    ]);
  });

  it('a request that committed a unit before its database failed is not run again whole: 503, the unit written once', async () => {
    let runs = 0;
    const router = async (ctx: Context) => {
      runs++;
      await h.app.tx.run((em) => em.query('UPDATE `lead` SET score = score + 1 WHERE id = ?', [leadId]));
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }); // a read after the write lost its node
      ctx.body = { ok: true };
    };
    const [{ score: before }] = await h.ds.query('SELECT score FROM `lead` WHERE id = ?', [leadId]);
    const ctx = { method: 'POST', status: 404, body: undefined, state: {} } as unknown as Context;
    const failed = await retryingDatabaseFailures(router)(ctx, async () => undefined).catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 'ECONNRESET' });
    expect(gaveUp(failed)).toBe(true); // answered 503 by the error middleware, never rerun by an outer layer
    expect(runs).toBe(1);
    const [{ score }] = await h.ds.query('SELECT score FROM `lead` WHERE id = ?', [leadId]);
    expect(Number(score)).toBe(Number(before) + 1);
  });

  it('servers on a shared database do not migrate it: the schema is reported behind until `npm run migrate`', async () => {
    const migrations = h.ds.migrations.length;
    expect(migrations).toBeGreaterThan(10);
    if (kind === 'sqlite') {
      // The embedded file has one process: it migrates itself (here: nothing left to run).
      expect(await prepareSchema(h.ds, 'sqlite')).toEqual({ ran: [], behind: false });
      return;
    }
    expect(await prepareSchema(h.ds, 'mysql')).toEqual({ ran: [], behind: false });
    const [last] = await h.ds.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1');
    await h.ds.query('DELETE FROM migrations WHERE name = ?', [last.name]);
    try {
      expect(await prepareSchema(h.ds, 'mysql')).toEqual({ ran: [], behind: true });
      expect(await h.ds.query('SELECT name FROM migrations WHERE name = ?', [last.name])).toHaveLength(0); // not run by the server
    } finally {
      await h.ds.query('INSERT INTO migrations (timestamp, name) VALUES (?, ?)', [Number(last.name.match(/\d{13}/)![0]), last.name]);
    }
  });
});

describe.skipIf(!process.env.TEST_MYSQL_URL)('cluster safety: ids of a multi-row insert [mysql]', () => {
  const h = new Harness('mysql', 4);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const people = (tag: string, n: number, at: number): User[] =>
    Array.from({ length: n }, (_, i) =>
      Object.assign(new User(), {
        companyId: h.seed.companyId,
        name: `${tag}${i}`,
        role: 'rep' as const,
        orgUnitId: null,
        managerId: null,
        active: true,
        authVersion: 0,
        wecomUserId: `${tag}-${i}`,
        dingtalkUserId: null,
        deptIds: null,
        mainDeptId: null,
        syncedAt: null,
        inactiveBy: null,
        leftAt: null,
        createdAt: at,
        updatedAt: at,
        deletedAt: null,
      }),
    );

  it('every row gets its own id while the session auto_increment_increment changes (a Galera node leaving, joining)', async () => {
    const qr = h.ds.createQueryRunner();
    await qr.connect();
    try {
      // 3 nodes (step 3, this node's offset 2) → one left (step 2) → back to 3; between and around the statements.
      const membership = [
        { step: 3, offset: 2 },
        { step: 2, offset: 1 },
        { step: 3, offset: 3 },
        { step: 1, offset: 1 },
      ];
      for (const [k, m] of membership.entries()) {
        await qr.query(`SET SESSION auto_increment_increment = ${m.step}, auto_increment_offset = ${m.offset}`);
        // A Galera node keeps its own (wsrep_auto_increment_control): the step the engine really uses now.
        const [{ step }] = await qr.query('SELECT @@session.auto_increment_increment AS step');
        const rows = people(`gal${k}`, 7, 1_700_000_000_000 + k);
        await insertRows(qr.manager, User, rows, ['companyId', 'wecomUserId']);
        const stored: { id: number; wecomUserId: string }[] = await qr.query('SELECT id, wecomUserId FROM app_user WHERE wecomUserId LIKE ?', [`gal${k}-%`]);
        const idOf = new Map(stored.map((s) => [s.wecomUserId, Number(s.id)]));
        expect(rows.map((r) => r.id)).toEqual(rows.map((r) => idOf.get(r.wecomUserId!)));
        expect(rows.slice(1).map((r, i) => r.id - rows[i].id)).toEqual(rows.slice(1).map(() => Number(step))); // the engine did step
      }
    } finally {
      await qr.query('SET SESSION auto_increment_increment = DEFAULT, auto_increment_offset = DEFAULT').catch(() => undefined);
      await qr.release();
    }
  });
});
