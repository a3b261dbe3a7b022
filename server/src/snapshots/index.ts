import Router from '@koa/router';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { idParam } from '../http/router-kit';
import { DiskStore } from './store';
import { S3Store } from './s3-store';
import { DEFAULT_SNAPSHOT_POLICY, Snapshots } from './service';
import { restoreSnapshot } from './restore';
import { SNAPSHOT_TABLES } from './tables';

export { Snapshots } from './service';
export { DiskStore, type SnapshotStore } from './store';
export { S3Store, type S3Config } from './s3-store';

const TABLE_NAMES = SNAPSHOT_TABLES.map((t) => t.name) as [string, ...string[]];
export const restoreSchema = z
  .object({
    dryRun: z.boolean({ error: 'dryRun 应为 true（预览差异）或 false（执行恢复）' }),
    tables: z
      .array(z.enum(TABLE_NAMES, { error: `表名只能是 ${TABLE_NAMES.join('、')}` }))
      .min(1, '至少选择一张表')
      .optional(),
    records: z
      .array(
        z
          .object({ entity: z.enum(TABLE_NAMES, { error: `对象类型只能是 ${TABLE_NAMES.join('、')}` }), id: z.number().int().positive('id 应为正整数') })
          .strict(),
      )
      .min(1, '至少选择一条记录')
      .max(10_000, '一次最多恢复 10000 条记录')
      .optional(),
    dropNewer: z.boolean().optional(),
  })
  .strict();

const modules = new WeakMap<AppContext, Snapshots>();

/** The snapshot service composed for this app (main.ts runs its schedule; tests and the drill call it directly). */
export function snapshotsOf(app: AppContext): Snapshots {
  let s = modules.get(app);
  if (!s) {
    const c = app.config.snapshots;
    const dir = c?.dir ?? path.join(os.tmpdir(), `lifeline-snapshots-${process.pid}`);
    // With object storage configured, SNAPSHOT_DIR only stages a file until it is uploaded.
    const store = c?.s3 ? new S3Store(c.s3, dir) : new DiskStore(dir);
    s = new Snapshots(app, store, c ? { intervalMs: c.intervalMs, retentionMs: c.retentionMs } : DEFAULT_SNAPSHOT_POLICY);
    modules.set(app, s);
  }
  return s;
}

/** Snapshots and restores (docs/data-safety.md). */
export function snapshotRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api/snapshots' });
  r.get('/', allow('data.undo'), async (ctx) => {
    ctx.body = await snapshotsOf(app).list(actorOf(ctx));
  });
  r.post('/', allow('data.undo'), async (ctx) => {
    ctx.status = 201;
    ctx.body = await snapshotsOf(app).takeNow(actorOf(ctx));
  });
  r.post('/:id/restore', allow('data.undo'), async (ctx) => {
    const input = parseInput(restoreSchema, ctx.request.body);
    ctx.body = await restoreSnapshot(app, snapshotsOf(app).store, actorOf(ctx), idParam(ctx), input);
  });
  return r;
}

/** Takes the scheduled snapshots and sweeps cut-off and expired ones, every minute. */
export class SnapshotWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly app: AppContext) {}

  start(onError: (err: unknown) => void, seconds = 60): void {
    const tick = () => {
      const s = snapshotsOf(this.app);
      this.running = this.running.then(() => s.sweep().then(() => s.runDue())).catch(onError);
    };
    tick();
    this.timer = setInterval(tick, seconds * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
