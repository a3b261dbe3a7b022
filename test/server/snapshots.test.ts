import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_NOW, type Res } from '../support/harness';
import { DiskStore, Snapshots, snapshotsOf } from '../../server/src/snapshots';
import type { AppContext } from '../../server/src/context';
import type { DataSource } from 'typeorm';
import { readSnapshot } from '../../server/src/snapshots/format';
import { pagesOf, SNAPSHOT_TABLES, type Row } from '../../server/src/snapshots/tables';
import { Snapshot } from '../../server/src/snapshots/snapshot.entity';
import { storedAndRecomputed } from '../support/derived-state';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDataSource } from '../../server/src/db/data-source';
import { migrate } from '../../server/src/db/migrate';
import { seedDemoIfEmpty } from '../../server/src/demo/seed';
import { freshDatabase, TEST_CONFIG } from '../support/harness';
import { createApp } from '../../server/src/app';
import { runDrill } from '../../server/src/snapshots/drill';

const ADMIN = '系统管理员';
const MIN = 60_000;

/**
 * Snapshots and restores (docs/data-safety.md): a consistent compressed file per company, listed with size, counts and
 * checksum; a dry-run diff; a restore that brings back deleted, changed and hard-deleted rows while keeping newer work;
 * selected records; the schedule and retention; a cut-off snapshot never usable.
 */
describeEachDb('snapshots and restore', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  /** The company's rows now, per table, by id. */
  const rowsNow = async () => {
    const out = new Map<string, Map<number, Row>>();
    for (const t of SNAPSHOT_TABLES) {
      const m = new Map<number, Row>();
      for await (const page of pagesOf(h.ds.manager, t.name, t.target, h.seed.companyId)) for (const r of page) m.set(Number(r.id), r);
      out.set(t.name, m);
    }
    return out;
  };
  /** The rows a snapshot file holds, per table, by id. */
  const rowsIn = async (id: number) => {
    const snap = await h.ds.getRepository(Snapshot).findOneByOrFail({ id });
    const out = new Map<string, Map<number, Row>>();
    for await (const part of readSnapshot(snapshotsOf(h.app).store.read(snap.file), snap.sha256)) {
      if (!('rows' in part)) continue;
      const m = out.get(part.table) ?? new Map<number, Row>();
      for (const r of part.rows) m.set(Number(r.id), r);
      out.set(part.table, m);
    }
    return out;
  };
  let phone = 13500000000;

  it('takes a snapshot on demand: listed usable with size, row counts and checksum; its rows are the rows of that moment', async () => {
    await h.settle();
    h.clock.set(TEST_NOW + 10 * MIN);
    const taken = ok(await h.req('POST', '/api/snapshots', { as: ADMIN }), 'snapshot');
    expect(taken).toMatchObject({ status: 'complete', usable: true, trigger: 'manual', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(taken.sizeBytes).toBeGreaterThan(100);
    const list = ok(await h.req('GET', '/api/snapshots', { as: ADMIN }), 'list');
    expect(list.items[0]).toMatchObject({ id: taken.id, usable: true });
    const now = await rowsNow();
    const inFile = await rowsIn(taken.id);
    for (const t of SNAPSHOT_TABLES) {
      expect([...(inFile.get(t.name)?.values() ?? [])], t.name).toEqual([...now.get(t.name)!.values()]);
      expect(taken.rowCounts[t.name], t.name).toBe(now.get(t.name)!.size);
    }
    expect((await h.req('GET', '/api/snapshots', { as: '李静' })).status).toBe(403);
    expect((await h.req('POST', '/api/snapshots', { as: '黄蓉' })).status).toBe(403);
  });

  it('restore: the dry run lists changed, missing and newer rows; the restore brings back the snapshot and keeps newer work', async () => {
    h.clock.set(TEST_NOW + 20 * MIN);
    const snap = ok(await h.req('POST', '/api/snapshots', { as: ADMIN }), 'snapshot');
    const at = await rowsNow();
    h.clock.set(TEST_NOW + 30 * MIN);
    // The damage: leads and a customer deleted, names changed, a follow-up row gone by a bad script, settings changed.
    const leads: { id: number; customerId: number }[] = await h.ds.query(
      'SELECT id, customerId FROM `lead` WHERE companyId = ? AND deletedAt IS NULL ORDER BY id LIMIT 3',
      [h.seed.companyId],
    );
    for (const l of leads) ok(await h.req('PATCH', `/api/leads/${l.id}`, { as: ADMIN, body: { name: '被改坏的名字', city: '火星' } }), 'edit');
    ok(await h.req('DELETE', `/api/leads/${leads[0].id}`, { as: ADMIN }), 'delete lead');
    const onlyLead = await h.count('`lead`', 'customerId = ? AND deletedAt IS NULL', [leads[0].customerId]);
    if (!onlyLead) ok(await h.req('DELETE', `/api/customers/${leads[0].customerId}`, { as: ADMIN }), 'delete customer');
    const fu = (await h.ds.query('SELECT id FROM followup WHERE companyId = ? ORDER BY id LIMIT 1', [h.seed.companyId]))[0];
    await h.ds.query('DELETE FROM followup WHERE id = ?', [fu.id]);
    ok(await h.req('PUT', '/api/settings/vocabulary', { as: ADMIN, body: { quickPhrases: ['被改坏的短语'] } }), 'vocabulary');
    const newer = ok(await h.req('POST', '/api/leads', { as: ADMIN, body: { phone: String(++phone), channel: '抖音-202601直播' } }), 'new lead').lead;

    const dry = ok(await h.req('POST', `/api/snapshots/${snap.id}/restore`, { as: ADMIN, body: { dryRun: true } }), 'dry');
    expect(dry.tables.followup).toMatchObject({ missing: 1 });
    expect(dry.tables.lead.changed).toBeGreaterThanOrEqual(1);
    expect(dry.tables.customer.changed).toBe(3);
    expect(dry.tables.lead.newer).toBe(1);
    expect(dry.tables.company).toMatchObject({ changed: 1 });
    expect(dry.tables.lead.samples).toEqual(expect.arrayContaining([{ id: newer.id, kind: 'newer' }]));
    expect(await h.count('followup', 'id = ?', [fu.id])).toBe(0); // a dry run writes nothing

    const done = ok(await h.req('POST', `/api/snapshots/${snap.id}/restore`, { as: ADMIN, body: { dryRun: false } }), 'restore');
    expect(done.operationId).toMatch(/^restore-/);
    await h.settle();
    const after = await rowsNow();
    for (const t of SNAPSHOT_TABLES) {
      for (const [id, row] of at.get(t.name)!) {
        const { authVersion: _a, ...want } = row;
        const { authVersion: _b, ...got } = after.get(t.name)!.get(id) ?? {};
        expect(got, `${t.name} ${id}`).toEqual(want);
      }
    }
    expect(after.get('lead')!.get(newer.id)).toMatchObject({ deletedAt: null }); // newer work kept
    const derived = await storedAndRecomputed(h);
    expect(derived.stored).toEqual(derived.recomputed);
    // The restore is an audited operation: undo takes it back.
    const undo = ok(
      await h.req('POST', '/api/undo', {
        as: ADMIN,
        body: { operationId: done.operationId, from: new Date(TEST_NOW).toISOString(), to: new Date(h.clock.now()).toISOString(), dryRun: true },
      }),
      'undo preview',
    );
    expect(undo.reverts).toBeGreaterThan(0);
  });

  it('selected records only, and newer rows dropped (soft-deleted) when the admin chooses', async () => {
    h.clock.set(TEST_NOW + 40 * MIN);
    const snap = ok(await h.req('POST', '/api/snapshots', { as: ADMIN }), 'snapshot');
    const two: { id: number; customerId: number }[] = await h.ds.query(
      'SELECT id, customerId FROM `lead` WHERE companyId = ? AND deletedAt IS NULL ORDER BY id LIMIT 2',
      [h.seed.companyId],
    );
    const names = await h.ds.query('SELECT id, name FROM customer WHERE id IN (?, ?) ORDER BY id', [two[0].customerId, two[1].customerId]);
    h.clock.set(TEST_NOW + 50 * MIN);
    for (const l of two) ok(await h.req('PATCH', `/api/leads/${l.id}`, { as: ADMIN, body: { name: '又改了' } }), 'edit');
    const newer = ok(await h.req('POST', '/api/leads', { as: ADMIN, body: { phone: String(++phone), channel: '抖音-202601直播' } }), 'new lead').lead;
    ok(
      await h.req('POST', `/api/snapshots/${snap.id}/restore`, {
        as: ADMIN,
        body: { dryRun: false, records: [{ entity: 'customer', id: two[0].customerId }] },
      }),
      'selected',
    );
    const now = await h.ds.query('SELECT id, name FROM customer WHERE id IN (?, ?) ORDER BY id', [two[0].customerId, two[1].customerId]);
    expect(now.find((c: any) => Number(c.id) === two[0].customerId).name).toBe(names.find((c: any) => Number(c.id) === two[0].customerId).name);
    expect(now.find((c: any) => Number(c.id) === two[1].customerId).name).toBe('又改了');
    expect(await h.count('`lead`', 'id = ? AND deletedAt IS NULL', [newer.id])).toBe(1);
    ok(
      await h.req('POST', `/api/snapshots/${snap.id}/restore`, { as: ADMIN, body: { dryRun: false, tables: ['lead', 'customer'], dropNewer: true } }),
      'drop newer',
    );
    expect(await h.count('`lead`', 'id = ? AND deletedAt IS NOT NULL', [newer.id])).toBe(1);
    expect(await h.count('`lead`', 'id = ?', [newer.id])).toBe(1); // soft, never gone
  });

  it('a snapshot written before a column was dropped still restores: the column the table no longer has is left out', async () => {
    h.clock.set(TEST_NOW + 55 * MIN);
    const taken = ok(await h.req('POST', '/api/snapshots', { as: ADMIN }), 'snapshot');
    const snap = await h.ds.getRepository(Snapshot).findOneByOrFail({ id: taken.id });
    const store = snapshotsOf(h.app).store;
    // The file as an older version wrote it: every customer row with a column this version has dropped.
    const chunks: Buffer[] = [];
    for await (const b of store.read(snap.file)) chunks.push(b as Buffer);
    const lines = gunzipSync(Buffer.concat(chunks))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    for (const rec of lines) if (rec.t === 'customer' || rec.t === 'followup') rec.r.faxNumber = '0512-0000';
    const old = gzipSync(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const file = `${snap.file}.old`;
    const out = await store.open(file);
    await new Promise<void>((resolve, reject) => out.end(old, () => resolve()).on('error', reject));
    await store.commit(file);
    await h.ds.getRepository(Snapshot).update({ id: snap.id }, { file, sha256: createHash('sha256').update(old).digest('hex') });

    const [c] = await h.ds.query('SELECT id, name FROM customer WHERE companyId = ? AND deletedAt IS NULL ORDER BY id LIMIT 1', [h.seed.companyId]);
    h.clock.set(TEST_NOW + 56 * MIN);
    await h.ds.query('UPDATE customer SET name = ? WHERE id = ?', ['被误改', c.id]);
    const [f] = await h.ds.query('SELECT id, conclusion FROM followup WHERE companyId = ? ORDER BY id DESC LIMIT 1', [h.seed.companyId]);
    await h.ds.query('DELETE FROM followup WHERE id = ?', [f.id]); // hard-deleted behind the product's back
    const r = ok(await h.req('POST', `/api/snapshots/${snap.id}/restore`, { as: ADMIN, body: { dryRun: false, tables: ['customer', 'followup'] } }), 'restore');
    expect(r.tables.customer).toMatchObject({ changed: 1 });
    expect(r.tables.followup).toMatchObject({ missing: 1 });
    const [after] = await h.ds.query('SELECT name FROM customer WHERE id = ?', [c.id]);
    expect(after.name).toBe(c.name);
    const [back] = await h.ds.query('SELECT conclusion FROM followup WHERE id = ?', [f.id]);
    expect(back?.conclusion).toBe(f.conclusion);
  });

  it('the schedule writes one snapshot per company per interval; retention expires old ones but keeps the newest', async () => {
    const s = snapshotsOf(h.app);
    h.clock.set(TEST_NOW + 3 * 3600_000);
    const companies = await h.count('company');
    expect(await s.runDue()).toBe(companies);
    expect(await s.runDue()).toBe(0); // same slot, however many processes
    h.clock.set(TEST_NOW + 5 * 3600_000);
    expect(await s.runDue()).toBe(companies);
    h.clock.set(TEST_NOW + 200 * 3600_000);
    const swept = await s.sweep();
    expect(swept.expired).toBeGreaterThan(0);
    const usable = await h.ds.getRepository(Snapshot).findBy({ companyId: h.seed.companyId, status: 'complete' });
    expect(usable).toHaveLength(1); // the newest is always kept
    expect(await s.store.exists(usable[0].file)).toBe(true);
  });

  it('a snapshot cut off mid-write is never usable: listed as not usable, refused for restore, swept to failed', async () => {
    const repo = h.ds.getRepository(Snapshot);
    const t = h.clock.now();
    const cut = repo.create({
      companyId: h.seed.companyId,
      slot: 'manual:cut-off',
      trigger: 'manual',
      status: 'writing',
      file: `company-${h.seed.companyId}/cut-off.jsonl.gz`,
      takenAt: null,
      startedAt: t,
      finishedAt: null,
      leaseUntil: t + MIN,
      sizeBytes: null,
      rowCounts: null,
      checksums: null,
      sha256: null,
      error: null,
      createdBy: null,
    });
    await repo.insert(cut);
    const listed = ok(await h.req('GET', '/api/snapshots', { as: ADMIN }), 'list').items.find((i: any) => i.id === cut.id);
    expect(listed).toMatchObject({ status: 'writing', usable: false });
    const refused = await h.req('POST', `/api/snapshots/${cut.id}/restore`, { as: ADMIN, body: { dryRun: true } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('不可用');
    h.clock.set(t + 10 * MIN);
    expect((await snapshotsOf(h.app).sweep()).failed).toBe(1);
    expect((await repo.findOneByOrFail({ id: cut.id })).status).toBe('failed');
  });

  it('a snapshot process SIGKILLed mid-write leaves no usable-looking snapshot: no final file, the row swept to failed', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-snap-kill-'));
    // A database the child can open too: a file for SQLite, a fresh schema for MariaDB.
    let url: string;
    let drop: () => Promise<void>;
    let ds: DataSource;
    if (kind === 'sqlite') {
      url = path.join(dir, 'db.sqlite');
      ds = await createDataSource({ kind: 'sqlite', url }).initialize();
      drop = async () => void (await ds.destroy());
    } else {
      const fresh = await freshDatabase('mysql');
      ds = fresh.ds;
      drop = fresh.drop;
      url = String((ds.options as { url: string }).url);
    }
    await migrate(ds);
    const seeded = await seedDemoIfEmpty(ds, {});
    const companyId = Number((await ds.query('SELECT MIN(id) AS id FROM company'))[0].id);
    const store = path.join(dir, 'snapshots');
    const child = fork(path.resolve('test/support/snapshot-child.ts'), [kind, url, store, String(companyId)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const [msg] = await once(child, 'message');
    expect(msg).toBe('mid-write');
    child.kill('SIGKILL');
    await once(child, 'exit');

    const row = (await ds.query("SELECT status, file FROM snapshot WHERE slot = 'killed-mid-write'"))[0];
    expect(row.status).toBe('writing'); // never complete: not usable
    const files = readdirSync(path.join(store, `company-${companyId}`));
    expect(files.filter((f) => f.endsWith('.jsonl.gz'))).toEqual([]); // no final file: at most a .part (the kill may beat its open)
    expect(files.every((f) => f.endsWith('.jsonl.gz.part'))).toBe(true);
    await ds.query("UPDATE snapshot SET leaseUntil = 1 WHERE slot = 'killed-mid-write'"); // its lease has run out
    // The sweep of a process that shares this database (the only parts of the app it uses).
    const sweeper = new Snapshots({ ds, clock: h.app.clock } as unknown as AppContext, new DiskStore(store));
    expect((await sweeper.sweep()).failed).toBe(1);
    expect((await ds.query("SELECT status FROM snapshot WHERE slot = 'killed-mid-write'"))[0].status).toBe('failed');
    expect(existsSync(path.join(store, `${row.file}.part`))).toBe(false);
    expect(readdirSync(path.join(store, `company-${companyId}`))).toEqual([]); // nothing left behind
    expect(seeded).toBeTruthy();
    await drop();
  });

  it('the recovery drill: a snapshot loads into an empty copy checksum-exact; a damaged sample is restored checksum-exact', async () => {
    const snap = await h.ds.getRepository(Snapshot).findOneOrFail({ where: { companyId: h.seed.companyId, status: 'complete' }, order: { takenAt: 'DESC' } });
    const copy = await freshDatabase(kind);
    try {
      await migrate(copy.ds);
      const { ctx } = createApp({ config: TEST_CONFIG, ds: copy.ds });
      const r = await runDrill(ctx, snapshotsOf(h.app).store, snap, 0.1);
      expect(r.mismatches).toEqual([]);
      expect(r.verified).toEqual({ afterLoad: true, afterRecovery: true });
      expect(r.damaged.customersDeleted + r.damaged.followupsRemoved).toBeGreaterThan(0);
      expect(r.rows).toBe(Object.values(snap.rowCounts!).reduce((a, b) => a + b, 0));
    } finally {
      await copy.drop();
    }
  });
});
