import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import { AppError } from './errors';
import type { Logger } from '../logger';
import { PlatformError } from '../platforms/platform-error';
import { classifyDatabaseError, DB_RETRY_AFTER_SECONDS } from './db-unavailable';
import { codeOf } from '../db/errors';

/** Request id (echoed as X-Request-Id) and one structured log line per request. */
export function requestContext(log: Logger) {
  return async (ctx: Context, next: Next) => {
    const incoming = ctx.get('x-request-id');
    const id = /^[\w.:-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = log.child({ reqId: id });
    ctx.set('X-Request-Id', id);
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const line = { method: ctx.method, path: ctx.path, status: ctx.status, ms, user: ctx.state.user?.id };
      if (ctx.status >= 500) ctx.state.log.error(line, 'request failed');
      else ctx.state.log.info(line, 'request');
    }
  };
}

/**
 * Every failure becomes JSON `{error:{code,message}}`. Client mistakes get a 4xx with a message a
 * person can act on; a platform (WeCom/DingTalk) answering something unusable is a 502; the database being away is
 * a 503 with Retry-After; anything else unexpected is logged in full and answered with a generic 500, never a stack.
 */
export function errorHandler() {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError(404, 'not_found', `接口不存在：${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const mapped = toAppError(err);
      if (mapped) {
        ctx.status = mapped.status;
        ctx.body = { error: { code: mapped.code, message: mapped.message, details: mapped.details } };
        return;
      }
      const id = ctx.state.requestId;
      if (err instanceof PlatformError) {
        ctx.state.log?.warn({ platform: err.platform, problem: err.problem }, 'platform answered something unusable');
        ctx.status = 502;
        ctx.body = { error: { code: 'platform_unavailable', message: `${err.label}暂时无法正常响应，请稍后重试；多次失败请联系管理员（请求编号 ${id}）` } };
        return;
      }
      const dbFailure = classifyDatabaseError(err);
      if (dbFailure === 'storage') {
        // Not transient (see db-unavailable.ts): no Retry-After; a person has to fix the database file.
        ctx.state.log?.error({ db: { code: codeOf(err), message: String((err as Error)?.message ?? '').slice(0, 200) } }, 'database storage failed');
        ctx.status = 503;
        ctx.body = {
          error: {
            code: 'db_storage_failed',
            message: `数据库存储出现故障（磁盘已满或数据文件无法读写），重试无法解决，请联系管理员处理；侧边栏里已填写的跟进会保存在本机（请求编号 ${id}）`,
          },
        };
        return;
      }
      if (dbFailure === 'unavailable') {
        // Code and driver message only: the failed statement's parameters may hold phone numbers.
        ctx.state.log?.error({ db: { code: codeOf(err), message: String((err as Error)?.message ?? '').slice(0, 200) } }, 'database unavailable');
        ctx.status = 503;
        ctx.set('Retry-After', String(DB_RETRY_AFTER_SECONDS));
        ctx.body = {
          error: {
            code: 'db_unavailable',
            message: `数据库暂时不可用，请稍后重试（约 ${DB_RETRY_AFTER_SECONDS} 秒后）；侧边栏里已填写的跟进会保存在本机，恢复后自动重新提交（请求编号 ${id}）`,
          },
        };
        return;
      }
      ctx.state.log?.error({ err }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { error: { code: 'internal', message: `服务器内部错误，请稍后重试（请求编号 ${ctx.state.requestId}）` } };
    }
  };
}

function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as { status?: number; type?: string; expose?: boolean; message?: string };
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  if (e.status === 413) return new AppError(413, 'too_large', '请求内容过大，请精简后重试');
  if (e.type === 'entity.parse.failed' || /JSON|Unexpected token|invalid json/i.test(e.message ?? '')) {
    return new AppError(400, 'malformed_json', '请求体不是合法的 JSON，请检查格式');
  }
  if (e.status === 415) return new AppError(415, 'unsupported_media_type', '请求体必须是 JSON（Content-Type: application/json）');
  if (e.type === 'encoding.unsupported') return new AppError(415, 'unsupported_encoding', '请求体编码不受支持，请使用 UTF-8');
  return new AppError(e.status, 'bad_request', e.expose && e.message ? e.message : '请求无效');
}

/** Bodies on writes must be JSON: a form post or plain text is a client mistake, not an empty body. */
export function requireJsonBody() {
  return async (ctx: Context, next: Next) => {
    // ctx.is() is false when a body of another type is present; an empty body (Content-Length: 0) is fine.
    const empty = ctx.get('content-length') === '0';
    if (['POST', 'PUT', 'PATCH'].includes(ctx.method) && !empty && ctx.is('application/json') === false) {
      throw new AppError(415, 'unsupported_media_type', '请求体必须是 JSON（Content-Type: application/json）');
    }
    await next();
  };
}
