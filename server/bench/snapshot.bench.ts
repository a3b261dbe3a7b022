/**
 * Snapshot benchmark: `npm run bench:snapshot` (add `--write` or BENCH_WRITE=1 to update docs/benchmarks.md).
 *
 * On MariaDB (BENCH_MYSQL_URL / TEST_MYSQL_URL / the local dev server), a company with BENCH_LEADS leads (default
 * 1,000,000) and as many customers, bulk-inserted:
 * 1. follow-up saves (POST /api/followups, sequential) while idle: p99;
 * 2. a snapshot of the company (consistent read, gzip, checksums, sync + rename) while the same saves go on: its time,
 *    file size, and the saves' p99 during it. Target: p99 during ≤ 2 × idle p99. Physical baseline: the same rows read
 *    by a plain keyset SELECT on one connection (no entities, no JSON, no gzip);
 * 3. damage 1 % (customers soft-deleted, leads' status overwritten) and restore the company from the snapshot
 *    (verify, diff every row, write back what differs, audited): its time.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { Harness } from '../../test/support/app-harness';
import { snapshotsOf } from '../src/snapshots';
import { claimSnapshot, writeSnapshot } from '../src/snapshots/writer';
import { restoreSnapshot } from '../src/snapshots/restore';
import { Company } from '../src/companies/company.entity';
import { effectiveSettings } from '../src/companies/settings';
import { benchMysqlUrl, latencyStats, mdTable, round, textTable, writeDocSection, type LatencyStats } from './bench-kit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const LEADS = Number(process.env.BENCH_LEADS ?? 1_000_000);
const IDLE_SAVES = Number(process.env.BENCH_SAVES ?? 300);
const log = (s: string) => console.error(`[bench:snapshot] ${s}`);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await work();
  return [out, performance.now() - t0];
}

/** LEADS customers and one lead each for the demo company, 2,000 rows per INSERT. */
async function bulkLoad(h: Harness): Promise<void> {
  const c = h.seed.companyId;
  const owner = await h.user('张敏');
  const now = h.clock.now();
  for (let i = 0; i < LEADS; i += 2000) {
    const n = Math.min(2000, LEADS - i);
    const phones = Array.from({ length: n }, (_, k) => String(16000000000 + i + k));
    await h.ds.query(
      `INSERT INTO customer (companyId, phone, name, province, city, carrier, grade, concerns, tags, createdBy, createdAt, updatedAt) VALUES ${phones
        .map(() => "(?, ?, ?, '江苏', '苏州', '中国移动', '初三', '[\"学科提分\"]', '[]', NULL, ?, ?)")
        .join(',')}`,
      phones.flatMap((p, k) => [c, p, `家长${i + k}`, now, now]),
    );
    if (i % 100_000 === 0) log(`customers ${i}/${LEADS}`);
  }
  await h.ds.query(
    `INSERT INTO \`lead\` (companyId, customerId, channel, ownerId, orgUnitId, status, journeyNode, score, scoreBreakdown, createdAt, assignedAt, updatedAt)
     SELECT companyId, id, '抖音-bench', ?, ?, 'assigned', '线索获取', 40, '[]', createdAt, createdAt, updatedAt FROM customer WHERE companyId = ? AND phone LIKE '16%'`,
    [owner.id, owner.orgUnitId, c],
  );
  log(`loaded ${LEADS} customers and leads`);
}

let saveSeq = 0;
/** Sequential follow-up saves on the demo's own leads until `until` says stop (at least `min`): their latencies. */
async function saves(h: Harness, leadIds: number[], min: number, until: () => boolean = () => true): Promise<number[]> {
  const out: number[] = [];
  while (out.length < min || !until()) {
    const leadId = leadIds[saveSeq % leadIds.length];
    const [r, ms] = await timed(() =>
      h.req('POST', '/api/followups', {
        as: '张敏',
        body: { leadId, action: '已电话沟通', conclusion: '基准测试跟进', source: 'typed' },
        headers: { 'Idempotency-Key': `bench-snap-${saveSeq++}` },
      }),
    );
    if (r.status !== 201) throw new Error(`save: ${r.status} ${r.text}`);
    out.push(ms);
  }
  return out;
}

/** The floor: the company's leads and customers read by a plain keyset SELECT on one connection. */
async function rawReadBaseline(companyId: number): Promise<number> {
  const u = benchMysqlUrl();
  const conn = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: u.username,
    password: u.password,
    database: process.env.BENCH_DB,
  });
  const [, ms] = await timed(async () => {
    for (const table of ['customer', '`lead`']) {
      let after = 0;
      for (;;) {
        const [rows] = await conn.query(`SELECT * FROM ${table} WHERE companyId = ? AND id > ? ORDER BY id LIMIT 2000`, [companyId, after]);
        const list = rows as { id: number }[];
        if (!list.length) break;
        after = Number(list[list.length - 1].id);
      }
    }
  });
  await conn.end();
  return ms;
}

interface Figures {
  rows: number;
  snapshotMs: number;
  baselineMs: number;
  sizeBytes: number;
  idle: LatencyStats;
  during: LatencyStats;
  restoreMs: number;
  restored: { changed: number; unchanged: number };
}

async function main() {
  process.env.TEST_MYSQL_URL ??= benchMysqlUrl().toString();
  const h = await new Harness('mysql', 0).start();
  try {
    process.env.BENCH_DB = new URL(String((h.ds.options as { url: string }).url)).pathname.slice(1);
    h.autoSettle = false;
    await bulkLoad(h);
    const mine: { id: number }[] = await h.ds.query(
      "SELECT id FROM `lead` WHERE companyId = ? AND channel <> '抖音-bench' AND ownerId = ? AND deletedAt IS NULL",
      [h.seed.companyId, (await h.user('张敏')).id],
    );
    const leadIds = mine.map((l) => Number(l.id));
    await saves(h, leadIds, 50); // warm-up
    log(`idle: ${IDLE_SAVES} saves…`);
    const idle = latencyStats(await saves(h, leadIds, IDLE_SAVES));
    log('snapshot with saves going on…');
    const store = snapshotsOf(h.app).store;
    const claimed = (await claimSnapshot(h.app, h.seed.companyId, 'manual', 'bench', null))!;
    let done = false;
    const t0 = performance.now();
    const snapshot = writeSnapshot(h.app, store, claimed).finally(() => (done = true));
    const during = latencyStats(await saves(h, leadIds, 20, () => done));
    const snap = await snapshot;
    const snapshotMs = performance.now() - t0;
    log(`snapshot ${round(snapshotMs / 1000, 1)} s, ${round(Number(snap.sizeBytes) / 1048576, 1)} MB; baseline read…`);
    const baselineMs = await rawReadBaseline(h.seed.companyId);
    log('damage 1 % and restore…');
    const every = 100;
    await h.ds.query(`UPDATE customer SET deletedAt = ? WHERE companyId = ? AND phone LIKE '16%' AND id % ${every} = 0`, [h.clock.now(), h.seed.companyId]);
    await h.ds.query(`UPDATE \`lead\` SET status = 'lost' WHERE companyId = ? AND channel = '抖音-bench' AND id % ${every} = 0`, [h.seed.companyId]);
    const admin = await h.user('系统管理员');
    const settings = effectiveSettings((await h.ds.getRepository(Company).findOneByOrFail({ id: h.seed.companyId })).settings);
    const actor = { id: admin.id, companyId: h.seed.companyId, role: 'admin' as const, name: admin.name, orgUnitId: null, settings, scope: null };
    const [restored, restoreMs] = await timed(() => restoreSnapshot(h.app, store, actor, snap.id, { dryRun: false, tables: ['customer', 'lead', 'followup'] }));
    const t = restored.tables;
    const figures: Figures = {
      rows: Object.values(snap.rowCounts ?? {}).reduce((a, b) => a + b, 0),
      snapshotMs,
      baselineMs,
      sizeBytes: Number(snap.sizeBytes),
      idle,
      during,
      restoreMs,
      restored: { changed: t.customer.changed + t.lead.changed, unchanged: t.customer.unchanged + t.lead.unchanged },
    };
    report(figures);
  } finally {
    await h.stop();
  }
}

function report(f: Figures) {
  const ratio = f.during.p99 / f.idle.p99;
  const table = [
    ['rows', 'snapshot (s)', 'vs raw keyset read', 'file (MB)', 'save p99 idle (ms)', 'p99 during', 'ratio', 'restore (s)', 'rows written back'],
    [
      f.rows,
      round(f.snapshotMs / 1000, 1),
      `${round(f.snapshotMs / f.baselineMs, 1)}×`,
      round(f.sizeBytes / 1048576, 1),
      round(f.idle.p99, 1),
      round(f.during.p99, 1),
      `${round(ratio, 2)}×`,
      round(f.restoreMs / 1000, 1),
      f.restored.changed,
    ],
  ];
  console.log(textTable(table));
  const pass = ratio <= 2;
  console.log(`target: save p99 during the snapshot ≤ 2 × idle (${round(ratio, 2)}×): ${pass ? 'met' : 'MISSED'}`);
  if (WRITE) {
    const body = [
      `Run ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, MariaDB; ${LEADS.toLocaleString('en')} leads and as many customers in one company.`,
      '',
      mdTable(table),
      '',
      `- Snapshot: one consistent read (READ ONLY, WITH CONSISTENT SNAPSHOT) of the company's business tables, gzip JSON lines, per-table SHA-256, fsync + rename. Baseline: the same leads and customers read by a plain keyset SELECT (no entities, JSON or gzip).`,
      `- Saves: sequential POST /api/followups as a rep; idle ${f.idle.count} saves (p50 ${round(f.idle.p50, 1)} ms), during the snapshot ${f.during.count} saves (p50 ${round(f.during.p50, 1)} ms). Target p99 during ≤ 2 × idle.`,
      `- Restore: 1 % of customers soft-deleted and 1 % of leads' status overwritten, then \`POST /api/snapshots/:id/restore\` for customer, lead and follow-up: file verified, every row compared (${f.restored.unchanged.toLocaleString('en')} unchanged), ${f.restored.changed.toLocaleString('en')} written back and audited.`,
      '- Reproduce: `bash scripts/mariadb-up.sh && npm run bench:snapshot -- --write` (BENCH_LEADS to change the size).',
    ].join('\n');
    writeDocSection(path.join(ROOT, 'docs/benchmarks.md'), 'bench:snapshot', body, '# Benchmarks\n');
    log('wrote docs/benchmarks.md (## bench:snapshot)');
  }
  process.exit(pass ? 0 : 1);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
