/**
 * `npm run drill:restore`: the monthly recovery drill (docs/operations.md). Takes the latest usable snapshot of a
 * company (or a fresh one with --fresh), loads it into a scratch copy of the database, damages a sample there, restores
 * it as the admin would, verifies every table's checksum and prints the recovery time. Production data is only read.
 * Without an existing database it drills on a demo company in a temporary SQLite file.
 */
import 'reflect-metadata';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '../server/src/config';
import { createDataSource, type DbTarget } from '../server/src/db/data-source';
import { ensureSchema, migrate } from '../server/src/db/migrate';
import { createApp } from '../server/src/app';
import { seedDemoIfEmpty } from '../server/src/demo/seed';
import { snapshotsOf } from '../server/src/snapshots';
import { Snapshot } from '../server/src/snapshots/snapshot.entity';
import { claimSnapshot, writeSnapshot } from '../server/src/snapshots/writer';
import { runDrill } from '../server/src/snapshots/drill';

const { values } = parseArgs({ options: { company: { type: 'string' }, fresh: { type: 'boolean' }, share: { type: 'string' } }, strict: true });

/** An empty scratch database beside the source: a temporary SQLite file, or a new schema on the same MySQL server. */
async function scratchOf(source: DbTarget): Promise<{ target: DbTarget; drop: () => Promise<void> }> {
  if (source.kind === 'sqlite') {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'lifeline-drill-')), 'copy.sqlite');
    return { target: { kind: 'sqlite', url: file }, drop: async () => undefined };
  }
  const url = new URL(source.url);
  const name = `${url.pathname.slice(1)}_drill_${Date.now()}`;
  const admin = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  url.pathname = `/${name}`;
  return {
    target: { kind: 'mysql', url: url.toString() },
    drop: async () => {
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.end();
    },
  };
}

async function main(): Promise<number> {
  process.env.SESSION_SECRET ||= 'drill-signs-no-sessions';
  let config: AppConfig = loadConfig();
  if (config.db.kind === 'sqlite' && !existsSync(config.db.url)) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-drill-demo-'));
    console.log(`没有找到数据库 ${config.db.url}：在临时演示库上演练（${dir}）`);
    config = { ...config, db: { kind: 'sqlite', url: path.join(dir, 'demo.sqlite') }, snapshots: { ...config.snapshots!, dir: path.join(dir, 'snapshots') } };
  }
  const ds: DataSource = await createDataSource(config.db).initialize();
  await ensureSchema(ds, config.db.kind); // the live database: servers' schema, migrated by `npm run migrate`
  await seedDemoIfEmpty(ds, {});
  const { ctx } = createApp({ config, ds });
  const store = snapshotsOf(ctx).store;
  const companyId = Number(values.company ?? (await ds.query('SELECT MIN(id) AS id FROM company'))[0].id);
  let snap = values.fresh ? null : await ds.getRepository(Snapshot).findOne({ where: { companyId, status: 'complete' }, order: { takenAt: 'DESC' } });
  if (!snap) snap = await writeSnapshot(ctx, store, (await claimSnapshot(ctx, companyId, 'drill', `drill:${Date.now()}`, null))!);
  const scratch = await scratchOf(config.db);
  const copyDs = await createDataSource(scratch.target).initialize();
  try {
    await migrate(copyDs);
    const { ctx: copy } = createApp({ config: { ...config, db: scratch.target }, ds: copyDs });
    const r = await runDrill(copy, store, snap, values.share ? Number(values.share) : 0.05);
    const ok = r.verified.afterLoad && r.verified.afterRecovery;
    console.log(
      `恢复演练 — 公司 ${companyId}，快照 #${r.snapshotId}（${new Date(r.takenAt ?? 0).toISOString()}，${(r.sizeBytes / 1024).toFixed(0)} KB，${r.rows} 行）`,
    );
    console.log(`  载入空库：${r.loadMs} ms，逐表校验和${r.verified.afterLoad ? '一致' : '不一致'}`);
    console.log(
      `  破坏样本：删除客户 ${r.damaged.customersDeleted}，改坏客户 ${r.damaged.customersRenamed}，改坏线索 ${r.damaged.leadsChanged}，物理删除跟进 ${r.damaged.followupsRemoved}`,
    );
    console.log(`  恢复用时：${r.recoveryMs} ms，逐表校验和${r.verified.afterRecovery ? '一致' : '不一致'}`);
    if (!ok) console.log(`  不一致的表：${r.mismatches.join('、')}`);
    console.log(ok ? '演练通过' : '演练失败：请检查快照与恢复（docs/operations.md）');
    return ok ? 0 : 1;
  } finally {
    await copyDs.destroy();
    await scratch.drop();
    await ds.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
