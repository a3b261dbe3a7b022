import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppContext } from '../context';
import type { IntakeService } from '../intake/intake.service';
import { AppError, badRequest, forbidden } from '../http/errors';
import { readLimitedBody } from '../http/body';
import { requestIdOf } from '../http/router-kit';
import { embedScript, hostedPage } from './page';
import { RateLimit } from './rate-limit';

const MAX_BYTES = 8 * 1024;
const NOT_FOUND_PAGE =
  '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><p style="font:16px sans-serif;padding:24px">表单不存在或已关闭。</p>';

/**
 * The public lead forms (docs/intake-routing.md): the hosted page, the embed snippet, and the submit endpoint with its
 * CORS answer. Mounted before the JSON-only body rule: it reads its own small body and answers preflights.
 */
export function formRoutes(app: AppContext, intake: IntakeService): Router {
  const r = new Router();
  const limit = new RateLimit(app.config.formRatePerMinute ?? 10, () => app.clock.now());

  r.get('/f/:code', async (ctx) => {
    const form = await intake.formOf(String(ctx.params.code));
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    if (!form) {
      ctx.status = 404;
      ctx.body = NOT_FOUND_PAGE;
      return;
    }
    ctx.body = hostedPage({ code: form.code, title: form.title, endpoint: `/f/${form.code}` });
  });

  r.get('/f/:code/embed.js', async (ctx) => {
    const form = await intake.formOf(String(ctx.params.code));
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = form
      ? embedScript({ code: form.code, title: form.title, endpoint: `${ownOrigin(ctx)}/f/${form.code}` })
      : `console.warn(${JSON.stringify('Lifeline：表单不存在或已关闭')});`;
  });

  r.options('/f/:code', async (ctx) => {
    const form = await intake.formOf(String(ctx.params.code));
    const origin = ctx.get('origin');
    if (!form || !originAllowed(ctx, origin, form.allowedOrigins)) throw forbidden('此网站未被允许提交到该表单');
    allowCors(ctx, origin);
    ctx.set('Access-Control-Allow-Methods', 'POST');
    ctx.set('Access-Control-Allow-Headers', 'content-type');
    ctx.set('Access-Control-Max-Age', '600');
    ctx.status = 204;
  });

  r.post('/f/:code', async (ctx) => {
    const code = String(ctx.params.code);
    const form = await intake.formOf(code);
    if (!form) throw new AppError(404, 'not_found', '表单不存在或已关闭');
    const origin = ctx.get('origin');
    if (!originAllowed(ctx, origin, form.allowedOrigins)) throw forbidden('此网站未被允许提交到该表单，请联系管理员在渠道设置中添加');
    if (origin) allowCors(ctx, origin);
    if (!limit.allow(`${code}|${ctx.ip}`)) throw new AppError(429, 'too_many_requests', '提交太频繁，请一分钟后再试');
    const raw = (await readLimitedBody(ctx, MAX_BYTES, () => new AppError(413, 'payload_too_large', '提交内容过大'))).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw badRequest('提交内容不是合法的 JSON');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('提交内容应为一个 JSON 对象');
    const { website, ...fields } = body as Record<string, unknown>;
    ctx.status = 201;
    ctx.body = { ok: true };
    // A bot filled the field people never see: thanked like anyone, stored nowhere.
    if (typeof website === 'string' && website.trim()) {
      ctx.state.log?.info({ form: code }, 'lead form honeypot filled: dropped');
      return;
    }
    await intake.receiveForm(code, fields, JSON.stringify(fields), requestIdOf(ctx));
  });
  return r;
}

/** The hosted page (same origin), a request without an Origin (not a browser), or a site the admin allowed. */
function originAllowed(ctx: Context, origin: string, allowed: string[]): boolean {
  return !origin || origin === ownOrigin(ctx) || allowed.includes(origin);
}

function allowCors(ctx: Context, origin: string): void {
  ctx.set('Access-Control-Allow-Origin', origin);
  ctx.set('Vary', 'Origin');
}

/** Where this server is reached from, as the browser sees it (behind a proxy: X-Forwarded-Proto / Host, trusted). */
function ownOrigin(ctx: Context): string {
  return `${ctx.protocol}://${ctx.host}`;
}
