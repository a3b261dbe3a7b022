import { createHash, randomUUID } from 'node:crypto';
import { In, MoreThan, type EntityManager, type EntityMetadata } from 'typeorm';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { conflict, notFound } from '../http/errors';
import { writeAudits, type AuditRecord, type FieldChange } from '../audit/audit.service';
import { bumpCompanyAuthVersion } from '../companies/auth-version';
import { reprojectCompany } from '../companies/vocabulary';
import { customerLeadIds, recordLeadChanges } from '../projector/outbox';
import { Snapshot } from './snapshot.entity';
import { readSnapshot, SnapshotFileError } from './format';
import { SNAPSHOT_TABLES, canonical, metaOf, ownedBy, type Row } from './tables';
import type { SnapshotStore } from './store';
import { insertRowsPlain } from '../db/rows';

const SAMPLES = 20;
/** Bookkeeping a restore never writes back: cached actors compare it, so it only ever goes up. */
const NEVER_RESTORED = new Set(['authVersion']);

export interface RestoreInput {
  dryRun: boolean;
  /** Only these tables (default: all). */
  tables?: string[];
  /** Only these records (default: all of the selected tables). */
  records?: { entity: string; id: number }[];
  /** Soft-delete rows created after the snapshot (default: keep them, listed). */
  dropNewer?: boolean;
}

interface TableResult {
  unchanged: number;
  changed: number;
  missing: number;
  newer: number;
  samples: { id: number; kind: 'changed' | 'missing' | 'newer'; fields?: string[] }[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The fields of `current` that differ from the snapshot's row (company: settings per key). */
function diffRow(table: string, current: Row, snap: Row): FieldChange[] {
  if (table === 'company') {
    const a = (current.settings ?? {}) as Row;
    const b = (snap.settings ?? {}) as Row;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    const settings = keys.filter((k) => !same(a[k], b[k])).map((k) => ({ field: k, before: a[k] ?? null, after: b[k] ?? null }));
    return same(current.name, snap.name) ? settings : [...settings, { field: 'name', before: current.name, after: snap.name }];
  }
  return Object.keys(snap)
    .filter((k) => k !== 'id' && !NEVER_RESTORED.has(k) && !same(current[k], snap[k]))
    .map((k) => ({ field: k, before: current[k] ?? null, after: snap[k] ?? null }));
}

/**
 * A row as the table is today: columns dropped since the snapshot was written are left out (a column added since is not
 * in the file, and keeps its current value or its default).
 */
function columnsToday(meta: EntityMetadata, row: Row): Row {
  const known = new Set(meta.columns.map((c) => c.propertyName));
  return Object.fromEntries(Object.entries(row).filter(([p]) => known.has(p)));
}

/** The file's bytes against the checksum recorded when it was written, before anything is read from it. */
async function verifyFile(store: SnapshotStore, snap: Snapshot): Promise<void> {
  if (!(await store.exists(snap.file))) throw conflict(`快照文件不存在（${snap.file}），不能恢复`);
  const hash = createHash('sha256');
  for await (const chunk of store.read(snap.file)) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== snap.sha256) throw conflict('快照文件校验和不符，文件可能已损坏，不能恢复');
}

/** A usable (complete) snapshot of the caller's company. */
export async function usableSnapshot(app: AppContext, companyId: number, id: number): Promise<Snapshot> {
  const snap = await app.ds.getRepository(Snapshot).findOneBy({ id, companyId });
  if (!snap) throw notFound(`快照不存在（ID ${id}）`);
  if (snap.status !== 'complete') throw conflict(`快照 ${id} 状态为 ${snap.status}，不可用于恢复`);
  return snap;
}

interface Pass {
  input: RestoreInput;
  operationId: string;
  results: Record<string, TableResult>;
  seen: Map<string, Set<number>>;
  leads: Set<number>;
  customers: Set<number>;
  touchedCompany: boolean;
}

function wanted(pass: Pass, table: string, id?: number): boolean {
  if (pass.input.tables && !pass.input.tables.includes(table)) return false;
  if (!pass.input.records) return true;
  return pass.input.records.some((r) => r.entity === table && (id === undefined || r.id === id));
}

/** Compares (and, for real, writes back) one chunk of a table's snapshot rows, in one transaction. */
async function restoreChunk(app: AppContext, actor: Actor, pass: Pass, table: string, snapRows: Row[]): Promise<void> {
  const t = SNAPSHOT_TABLES.find((x) => x.name === table)!;
  const res = (pass.results[table] ??= { unchanged: 0, changed: 0, missing: 0, newer: 0, samples: [] });
  const rows = snapRows.filter((r) => wanted(pass, table, Number(r.id)));
  const seen = pass.seen.get(table) ?? new Set<number>();
  pass.seen.set(table, seen);
  for (const r of snapRows) seen.add(Number(r.id));
  if (!rows.length) return;
  const work = async (em: EntityManager) => {
    const meta = metaOf(em, t.target);
    const now = app.clock.now();
    const ids = rows.map((r) => Number(r.id));
    const current = new Map(
      (await em.getRepository(t.target).findBy({ ...ownedBy(table, actor.companyId), id: In(ids) })).map((r) => [Number(r.id), canonical(meta, r)]),
    );
    const audits: AuditRecord[] = [];
    const inserts: Row[] = [];
    for (const fileRow of rows) {
      const snapRow = columnsToday(meta, fileRow);
      const id = Number(snapRow.id);
      const cur = current.get(id);
      const changes = cur ? diffRow(table, cur, snapRow) : null;
      if (changes && !changes.length) {
        res.unchanged++;
        continue;
      }
      const kind = cur ? 'changed' : 'missing';
      res[kind]++;
      if (res.samples.length < SAMPLES) res.samples.push({ id, kind, ...(changes ? { fields: changes.map((c) => c.field) } : {}) });
      if (table === 'lead') pass.leads.add(id);
      if (table === 'customer') pass.customers.add(id);
      if (table === 'followup' || table === 'journey_event') pass.leads.add(Number(snapRow.leadId));
      if (table === 'company' || table === 'app_user' || table === 'org_unit') pass.touchedCompany = true;
      if (pass.input.dryRun) continue;
      if (!cur) {
        inserts.push(snapRow);
        audits.push({ entity: table, entityId: id, action: 'create', changes: [{ field: '*', before: null, after: snapRow }] });
      } else if (table === 'company') {
        await em.getRepository(t.target).update({ id }, { name: snapRow.name, settings: snapRow.settings });
        audits.push({ entity: table, entityId: id, action: 'restore', changes: changes! });
      } else {
        await em.getRepository(t.target).update({ id, companyId: actor.companyId }, Object.fromEntries(changes!.map((c) => [c.field, c.after])));
        audits.push({ entity: table, entityId: id, action: 'restore', changes: changes! });
      }
    }
    for (let i = 0; i < inserts.length; i += 200) await insertRowsPlain(em, t.target, inserts.slice(i, i + 200));
    if (audits.length)
      await writeAudits(em, [{ ctx: { companyId: actor.companyId, actorId: actor.id, requestId: pass.operationId, at: now }, records: audits }]);
  };
  await (pass.input.dryRun ? work(app.ds.manager) : app.tx.run(work));
}

/** Rows created after the snapshot: listed, and soft-deleted when the admin chose to drop them. */
async function newerRows(app: AppContext, actor: Actor, pass: Pass): Promise<void> {
  if (pass.input.records) return; // a selective restore touches only what it names
  for (const t of SNAPSHOT_TABLES) {
    if (t.name === 'company' || !wanted(pass, t.name)) continue;
    const seen = pass.seen.get(t.name) ?? new Set<number>();
    const res = (pass.results[t.name] ??= { unchanged: 0, changed: 0, missing: 0, newer: 0, samples: [] });
    const softDeletable = !!metaOf(app.ds.manager, t.target).findColumnWithPropertyName('deletedAt');
    let after = 0;
    for (;;) {
      const page = await app.ds.getRepository(t.target).find({ where: { companyId: actor.companyId, id: MoreThan(after) }, order: { id: 'ASC' }, take: 2000 });
      if (!page.length) break;
      after = Number(page[page.length - 1].id);
      const newer = page.filter((r) => !seen.has(Number(r.id)));
      res.newer += newer.length;
      for (const r of newer.slice(0, Math.max(0, SAMPLES - res.samples.length))) res.samples.push({ id: Number(r.id), kind: 'newer' });
      const drop = newer.filter((r) => r.deletedAt === null);
      if (pass.input.dryRun || !pass.input.dropNewer || !softDeletable || !drop.length) continue;
      await app.tx.run(async (em) => {
        const now = app.clock.now();
        const ids = drop.map((r) => Number(r.id));
        await em.getRepository(t.target).update({ companyId: actor.companyId, id: In(ids) }, { deletedAt: now });
        const records: AuditRecord[] = ids.map((id) => ({
          entity: t.name,
          entityId: id,
          action: 'delete',
          changes: [{ field: 'deletedAt', before: null, after: now }],
        }));
        await writeAudits(em, [{ ctx: { companyId: actor.companyId, actorId: actor.id, requestId: pass.operationId, at: now }, records }]);
        if (t.name === 'lead') for (const id of ids) pass.leads.add(id);
        if (t.name === 'customer') for (const id of ids) pass.customers.add(id);
      });
    }
  }
}

/** Derived state follows: every touched lead to the projector; settings or people changed → fresh actors and facts. */
async function afterRestore(app: AppContext, companyId: number, pass: Pass): Promise<void> {
  if (pass.input.dryRun) return;
  await app.tx.run(async (em) => {
    for (const c of pass.customers) for (const l of await customerLeadIds(em, companyId, c)) pass.leads.add(l);
    const ids = [...pass.leads];
    for (let i = 0; i < ids.length; i += 1000) await recordLeadChanges(em, companyId, ids.slice(i, i + 1000), app.clock.now());
    if (pass.touchedCompany) {
      await bumpCompanyAuthVersion(em, companyId);
      await em.query('UPDATE app_user SET authVersion = authVersion + 1 WHERE companyId = ?', [companyId]);
    }
  });
  if (pass.touchedCompany) {
    app.actors.clear();
    await reprojectCompany(app, companyId);
  }
}

/**
 * Restores a company (or selected tables or records) from a snapshot. The file is verified first; the dry run reports
 * per table what is unchanged, changed since, missing (re-inserted with its id) and newer (kept unless `dropNewer`).
 * The real run writes in chunks of a transaction each, every write audited under one operation id (undo can revert it).
 */
export async function restoreSnapshot(app: AppContext, store: SnapshotStore, actor: Actor, id: number, input: RestoreInput) {
  const snap = await usableSnapshot(app, actor.companyId, id);
  await verifyFile(store, snap);
  const started = Date.now();
  const pass: Pass = {
    input,
    operationId: `restore-${randomUUID()}`,
    results: {},
    seen: new Map(),
    leads: new Set(),
    customers: new Set(),
    touchedCompany: false,
  };
  try {
    for await (const part of readSnapshot(store.read(snap.file), snap.sha256)) {
      if ('rows' in part) await restoreChunk(app, actor, pass, part.table, part.rows);
    }
  } catch (err) {
    if (err instanceof SnapshotFileError) throw conflict(err.message);
    throw err;
  }
  await newerRows(app, actor, pass);
  await afterRestore(app, actor.companyId, pass);
  return {
    dryRun: input.dryRun,
    snapshotId: snap.id,
    takenAt: snap.takenAt,
    ...(input.dryRun ? {} : { operationId: pass.operationId }),
    tables: pass.results,
    tookMs: Date.now() - started,
  };
}
