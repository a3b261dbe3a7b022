import type { DataSource } from 'typeorm';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { effectiveSettings } from '../companies/settings';
import { Snapshot } from './snapshot.entity';
import { restoreSnapshot } from './restore';
import { currentChecksums } from './tables';
import type { SnapshotStore } from './store';

export interface DrillReport {
  snapshotId: number;
  takenAt: number | null;
  sizeBytes: number;
  rows: number;
  loadMs: number;
  damaged: { customersDeleted: number; customersRenamed: number; leadsChanged: number; followupsRemoved: number };
  recoveryMs: number;
  verified: { afterLoad: boolean; afterRecovery: boolean };
  mismatches: string[];
}

/** The tables whose checksum differs from the snapshot's. */
async function mismatches(copy: AppContext, snap: Snapshot): Promise<string[]> {
  const { checksums } = await currentChecksums(copy.ds.manager, snap.companyId);
  return Object.keys(snap.checksums ?? {}).filter((t) => checksums[t] !== snap.checksums![t]);
}

/** What a restore in the copy runs as: the company's first active admin in the snapshot (its audit rows name them). */
async function drillActor(copy: AppContext, companyId: number): Promise<Actor> {
  const [admin] = await copy.ds.query("SELECT id, name FROM app_user WHERE companyId = ? AND role = 'admin' ORDER BY active DESC, id LIMIT 1", [companyId]);
  const [company] = await copy.ds.query('SELECT settings FROM company WHERE id = ?', [companyId]);
  const settings = effectiveSettings(company?.settings ? JSON.parse(company.settings) : {});
  return { id: Number(admin?.id ?? 0), companyId, role: 'admin', name: admin?.name ?? '恢复演练', orgUnitId: null, settings, scope: null };
}

/** A sample of the copy damaged the ways the origin incident did: deletes, overwritten fields, rows gone. */
async function damage(ds: DataSource, companyId: number, now: number, share: number) {
  const every = Math.max(2, Math.round(1 / share));
  const run = (sql: string, params: unknown[]) => ds.query(sql, params);
  const count = async (sql: string, params: unknown[]) => Number((await ds.query(sql, params))[0].n);
  const customersDeleted = await count(`SELECT COUNT(*) AS n FROM customer WHERE companyId = ? AND deletedAt IS NULL AND id % ${every} = 0`, [companyId]);
  await run(`UPDATE customer SET deletedAt = ? WHERE companyId = ? AND deletedAt IS NULL AND id % ${every} = 0`, [now, companyId]);
  const customersRenamed = await count(`SELECT COUNT(*) AS n FROM customer WHERE companyId = ? AND id % ${every} = 1`, [companyId]);
  await run(`UPDATE customer SET name = '数据被改坏', city = NULL WHERE companyId = ? AND id % ${every} = 1`, [companyId]);
  const leadsChanged = await count(`SELECT COUNT(*) AS n FROM \`lead\` WHERE companyId = ? AND id % ${every} = 0`, [companyId]);
  await run(`UPDATE \`lead\` SET status = 'lost', ownerId = NULL WHERE companyId = ? AND id % ${every} = 0`, [companyId]);
  const followupsRemoved = await count(`SELECT COUNT(*) AS n FROM followup WHERE companyId = ? AND id % ${every} = 0`, [companyId]);
  await run(`DELETE FROM followup WHERE companyId = ? AND id % ${every} = 0`, [companyId]);
  return { customersDeleted, customersRenamed, leadsChanged, followupsRemoved };
}

/**
 * The monthly recovery drill, in a copy: load the snapshot into an empty database (it must be restorable at all) and
 * verify every table's checksum; damage a sample; restore from the snapshot as the admin would, timed; verify again.
 * `copy` is an app on a freshly migrated, empty database that reads the same snapshot store.
 */
export async function runDrill(copy: AppContext, store: SnapshotStore, snap: Snapshot, share = 0.05): Promise<DrillReport> {
  await copy.ds.getRepository(Snapshot).insert({ ...snap });
  const system: Actor = { id: 0, companyId: snap.companyId, role: 'admin', name: '恢复演练', orgUnitId: null, settings: effectiveSettings({}), scope: null };
  let t = Date.now();
  await restoreSnapshot(copy, store, system, snap.id, { dryRun: false });
  const loadMs = Date.now() - t;
  const afterLoad = await mismatches(copy, snap);
  const damaged = await damage(copy.ds, snap.companyId, copy.clock.now(), share);
  t = Date.now();
  await restoreSnapshot(copy, store, await drillActor(copy, snap.companyId), snap.id, { dryRun: false });
  const recoveryMs = Date.now() - t;
  const afterRecovery = await mismatches(copy, snap);
  const rows = Object.values(snap.rowCounts ?? {}).reduce((a, b) => a + b, 0);
  return {
    snapshotId: snap.id,
    takenAt: snap.takenAt,
    sizeBytes: Number(snap.sizeBytes ?? 0),
    rows,
    loadMs,
    damaged,
    recoveryMs,
    verified: { afterLoad: afterLoad.length === 0, afterRecovery: afterRecovery.length === 0 },
    mismatches: [...afterLoad.map((x) => `载入后 ${x}`), ...afterRecovery.map((x) => `恢复后 ${x}`)],
  };
}
