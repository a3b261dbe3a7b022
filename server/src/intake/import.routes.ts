import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppContext } from '../context';
import { actorOf, requireAuth } from '../auth/auth.middleware';
import { AppError } from '../http/errors';
import { idParam, requestIdOf } from '../http/router-kit';
import type { ImportService } from './import.service';
import { allow } from '../auth/permissions';
import { forViewer, maskPhonesInErrors } from '../customers/phone-visibility';

/** Reads the raw upload with a size limit (the JSON body parser never sees it). */
async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new AppError(413, 'too_large', `文件过大：最大 ${Math.round(limit / 1024 / 1024)} MB，请拆分后上传`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new AppError(413, 'too_large', `文件过大：最大 ${Math.round(limit / 1024 / 1024)} MB，请拆分后上传`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * `POST /api/imports?channel=…&filename=…` with the file as the body (.xlsx or .csv). Mounted before the
 * JSON-only rule, so it authenticates itself. Answers 202 with the job; progress via `GET /api/imports/:id`.
 */
export function importUploadRoutes(app: AppContext, imports: ImportService): Router {
  const r = new Router();
  r.post('/api/imports', requireAuth(app.ds, app.tokens, app.actors), maskPhonesInErrors(), allow('import.create'), async (ctx) => {
    const buf = await readBody(ctx, app.config.importMaxBytes ?? 20 * 1024 * 1024);
    const channel = typeof ctx.query.channel === 'string' ? ctx.query.channel : '';
    const filename = typeof ctx.query.filename === 'string' ? ctx.query.filename : 'upload';
    const { job, done } = await imports.start(actorOf(ctx), buf, { filename, channel }, ctx.state.log, requestIdOf(ctx));
    if (ctx.get('prefer') === 'wait') await done; // scripts and tests may wait for the report
    ctx.status = 202;
    ctx.body = ctx.get('prefer') === 'wait' ? forViewer(actorOf(ctx), await imports.get(actorOf(ctx), job.id)) : job;
  });
  return r;
}

export function importRoutes(imports: ImportService): Router {
  const r = new Router({ prefix: '/api/imports' });
  r.get('/', async (ctx) => {
    ctx.body = forViewer(actorOf(ctx), await imports.list(actorOf(ctx)));
  });
  r.get('/:id', async (ctx) => {
    ctx.body = forViewer(actorOf(ctx), await imports.get(actorOf(ctx), idParam(ctx)));
  });
  return r;
}
