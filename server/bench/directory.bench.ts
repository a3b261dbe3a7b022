/**
 * Directory sync benchmark: `npm run bench:directory` (add `--write` or BENCH_WRITE=1 to update docs/benchmarks.md).
 *
 * On SQLite (the embedded default) and on MariaDB (TEST_MYSQL_URL / BENCH_MYSQL_URL; skipped when it does not answer):
 * 1. a full sync of BENCH_MEMBERS members (default 10,000) in BENCH_DEPTS departments (default 500) into a company
 *    that has none of them yet, from start (POST /api/directory/sync) to `applied`; then the same sync again (nothing
 *    to change). Target ≤ 60 s. The physical baseline: the same number of user rows bulk-inserted in one transaction,
 *    the least any sync must write.
 * 2. incremental events: a WeCom change_contact (a member renamed) handed to the callback hook, recorded, and applied
 *    by the event worker, one at a time; time from receipt to applied. Target ≤ 1 s. Baseline: one single-row
 *    UPDATE in a transaction.
 * The directory is the fake WeCom server of test/fakes (real HTTP on loopback, tokens, department/list and one
 * user/list per department, user/get for events): what is measured includes our HTTP client, not WeCom's own latency.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { directoryOf } from '../src/directory';
import { Harness, TEST_CONFIG } from '../../test/support/app-harness';
import { FakeWecom } from '../../test/fakes/wecom-server';
import { fakeOrg, withWecomContacts, type FakeOrg } from '../../test/fakes/contacts';
import { benchMysqlUrl, latencyStats, mdTable, round, textTable, writeDocSection } from './bench-kit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE = process.argv.includes('--write') || process.env.BENCH_WRITE === '1';
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10_000);
const DEPTS = Number(process.env.BENCH_DEPTS ?? 500);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50);
const log = (s: string) => console.error(`[bench:directory] ${s}`);

interface Figures {
  db: string;
  fullMs: number;
  resyncMs: number;
  baselineMs: number;
  created: { units: number; users: number };
  event: { p50: number; p90: number; max: number };
  eventBaselineMs: number;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await work();
  return [out, performance.now() - t0];
}

async function fullSync(h: Harness): Promise<any> {
  const started = await h.req('POST', '/api/directory/sync', { as: '系统管理员', body: {} });
  if (started.status !== 202) throw new Error(`start: ${started.status} ${started.text}`);
  await directoryOf(h.app).syncWorker.tick();
  const run = (await h.req('GET', `/api/directory/sync/${started.body.id}`, { as: '系统管理员' })).body;
  if (run.status !== 'applied') throw new Error(`run ended ${run.status}: ${run.error ?? JSON.stringify(run.diff?.review)}`);
  return run;
}

/** The floor: MEMBERS user-shaped rows in one transaction, 200 per INSERT (as the sync writes them). */
async function bulkInsertBaseline(h: Harness): Promise<number> {
  await h.ds.query(
    'CREATE TABLE bench_users (id INTEGER PRIMARY KEY, companyId INT, name VARCHAR(32), wecomUserId VARCHAR(64), orgUnitId INT, deptIds TEXT, createdAt BIGINT)',
  );
  const [, ms] = await timed(() =>
    h.app.tx.run(async (em) => {
      for (let i = 0; i < MEMBERS; i += 200) {
        const rows = Array.from({ length: Math.min(200, MEMBERS - i) }, (_, k) => [i + k + 1, 1, `成员${i + k}`, `user${i + k}`, 1, '["2000"]', Date.now()]);
        await em.query(`INSERT INTO bench_users VALUES ${rows.map(() => '(?,?,?,?,?,?,?)').join(',')}`, rows.flat());
      }
    }),
  );
  await h.ds.query('DROP TABLE bench_users');
  return ms;
}

async function events(h: Harness, org: FakeOrg, corpId: string): Promise<{ p50: number; p90: number; max: number; baseline: number }> {
  const samples: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const id = `user${(i * 37) % MEMBERS}`;
    org.members.get(id)!.name = `改名${i}`;
    const [, ms] = await timed(async () => {
      await h.app.platformEvents.wecom(
        { MsgType: 'event', Event: 'change_contact', ToUserName: corpId, ChangeType: 'update_user', UserID: id },
        { dedupeKey: `bench-${i}` },
      );
      await directoryOf(h.app).eventWorker.tick();
    });
    samples.push(ms);
  }
  const [row] = await h.ds.query("SELECT state FROM directory_event WHERE dedupeKey LIKE 'bench-%' AND state <> 'done' LIMIT 1");
  if (row) throw new Error(`an event ended ${row.state}`);
  const base: number[] = [];
  const adminId = (await h.user('系统管理员')).id;
  for (let i = 0; i < EVENTS; i++) {
    const [, ms] = await timed(() => h.app.tx.run((em) => em.query('UPDATE app_user SET updatedAt = updatedAt + 1 WHERE id = ?', [adminId])));
    base.push(ms);
  }
  const s = latencyStats(samples);
  return { p50: s.p50, p90: s.p90, max: s.max, baseline: latencyStats(base).p50 };
}

async function benchOn(kind: 'sqlite' | 'mysql'): Promise<Figures> {
  const h = await new Harness(kind, 0).start();
  const wx = await new FakeWecom('wwbench0001', 'bench-secret').start();
  try {
    const org = fakeOrg({ departments: DEPTS, members: MEMBERS });
    withWecomContacts(wx, org);
    h.app.config = { ...TEST_CONFIG, wecom: { corpId: wx.corpId, agentId: 1000002, secret: wx.secret, apiBase: wx.base } };
    await h.ds.query('UPDATE company SET wecomCorpId = ? WHERE id = ?', [wx.corpId, h.seed.companyId]);
    log(`${kind}: full sync of ${MEMBERS} members in ${DEPTS} departments…`);
    const [run, fullMs] = await timed(() => fullSync(h));
    log(`${kind}: again (nothing to change)…`);
    h.clock.advance(60_000);
    const [, resyncMs] = await timed(() => fullSync(h));
    log(`${kind}: baseline and ${EVENTS} events…`);
    const baselineMs = await bulkInsertBaseline(h);
    const ev = await events(h, org, wx.corpId);
    return {
      db: kind === 'sqlite' ? 'SQLite (embedded)' : 'MariaDB',
      fullMs,
      resyncMs,
      baselineMs,
      created: { units: run.diff.applied.unitsCreated, users: run.diff.applied.usersCreated },
      event: { p50: ev.p50, p90: ev.p90, max: ev.max },
      eventBaselineMs: ev.baseline,
    };
  } finally {
    await wx.stop();
    await h.stop();
  }
}

async function mysqlAnswers(): Promise<boolean> {
  try {
    const c = await mysql.createConnection(benchMysqlUrl().toString());
    await c.end();
    process.env.TEST_MYSQL_URL ??= benchMysqlUrl().toString();
    return true;
  } catch {
    return false;
  }
}

function rows(all: Figures[]): (string | number)[][] {
  const s = (ms: number) => round(ms / 1000, 2);
  return [
    ['database', 'full sync (s)', 'vs bulk insert', 're-sync (s)', 'event p50 (ms)', 'p90', 'max', 'vs 1-row UPDATE (p50)'],
    ...all.map((f) => [
      f.db,
      s(f.fullMs),
      `${round(f.fullMs / f.baselineMs, 1)}×`,
      s(f.resyncMs),
      round(f.event.p50, 1),
      round(f.event.p90, 1),
      round(f.event.max, 1),
      `${round(f.event.p50 / f.eventBaselineMs, 1)}×`,
    ]),
  ];
}

async function main() {
  const all: Figures[] = [await benchOn('sqlite')];
  if (await mysqlAnswers()) all.push(await benchOn('mysql'));
  else log('MariaDB does not answer: SQLite only (bash scripts/mariadb-up.sh for both)');
  console.log(textTable(rows(all)));
  const worst = { full: Math.max(...all.map((f) => f.fullMs)), event: Math.max(...all.map((f) => f.event.max)) };
  const pass = worst.full <= 60_000 && worst.event <= 1_000;
  console.log(
    `targets: full sync ≤ 60 s (worst ${round(worst.full / 1000, 1)} s), event applied ≤ 1 s (worst ${round(worst.event, 0)} ms): ${pass ? 'met' : 'MISSED'}`,
  );
  if (WRITE) {
    const body = [
      `Run ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${MEMBERS} members in ${DEPTS} departments`,
      `(${all[0].created.units} centres and teams mirrored, ${all[0].created.users} users created), ${EVENTS} events.`,
      '',
      mdTable(rows(all)),
      '',
      '- Full sync: POST /api/directory/sync to `applied` (fetch page by page into staging, plan, apply in one transaction,',
      '  audit row by row). Baseline: the same number of user rows bulk-inserted in one transaction. Re-sync: the same',
      '  directory again, nothing to change. Target ≤ 60 s.',
      '- Event: a WeCom change_contact handed to the callback hook, recorded, re-read and applied by the event worker;',
      '  receipt to applied. Baseline: one single-row UPDATE in a transaction. Target ≤ 1 s.',
      '- The directory is the fake WeCom server (loopback HTTP: department/list, user/list per department, user/get). Reproduce: `bash scripts/mariadb-up.sh && npm run bench:directory -- --write`.',
    ].join('\n');
    writeDocSection(path.join(ROOT, 'docs/benchmarks.md'), 'bench:directory', body, '# Benchmarks\n');
    log('wrote docs/benchmarks.md (## bench:directory)');
  }
  process.exit(pass ? 0 : 1);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
