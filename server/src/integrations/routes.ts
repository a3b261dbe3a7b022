import Router from '@koa/router';
import {
  eventSourceCreateSchema,
  eventSourceUpdateSchema,
  inboundDismissSchema,
  inboundEventListSchema,
  inboundResolveSchema,
  webhookCreateSchema,
  webhookDeliveryListSchema,
  webhookUpdateSchema,
  partnerCreateSchema,
  partnerPageSchema,
  partnerUpdateSchema,
  referralListSchema,
  referralRejectSchema,
  referralSchema,
} from '@lifeline/shared/src/integrations';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { AppError } from '../http/errors';
import { readLimitedBody } from '../http/body';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import type { InboundEvents } from './inbound';
import type { EventSources } from './sources';
import type { Webhooks } from './webhooks';
import type { Partners } from './partners';
import type { Consistency } from './consistency';
import type { AppContext } from '../context';
import { requireAuth } from '../auth/auth.middleware';
import { forViewer, maskPhonesInErrors } from '../customers/phone-visibility';
import { consistencyRunSchema, consistencyUploadSchema } from '@lifeline/shared/src/integrations';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signing';

/** Largest inbound event body: a business event is a few KB. */
export const INBOUND_MAX_BYTES = 64 * 1024;

/** Open to other systems: each request signed with its source's secret; reads the raw bytes the signature covers. */
export function inboundRoutes(inbound: InboundEvents): Router {
  const r = new Router();
  r.post('/api/events/in/:source', async (ctx) => {
    const rawBody = await readLimitedBody(ctx, INBOUND_MAX_BYTES, () => new AppError(413, 'payload_too_large', '请求体过大（最多64KB）'));
    const result = await inbound.receive({
      code: String(ctx.params.source),
      rawBody,
      timestamp: ctx.get(TIMESTAMP_HEADER) || undefined,
      signature: ctx.get(SIGNATURE_HEADER) || undefined,
      requestId: requestIdOf(ctx),
    });
    if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = result.replayed ? 200 : 201;
    ctx.body = result.body;
  });
  return r;
}

export function integrationAdminRoutes(sources: EventSources, inbound: InboundEvents): Router {
  const r = new Router({ prefix: '/api' });
  // Ops read the list (no secrets in it) to pick a source for a consistency report.
  r.get('/event-sources', allow('integrations.review'), async (ctx) => {
    ctx.body = await sources.list(actorOf(ctx));
  });
  r.post('/event-sources', allow('integrations.manage'), async (ctx) => {
    ctx.status = 201;
    ctx.body = await sources.create(actorOf(ctx), parseInput(eventSourceCreateSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.patch('/event-sources/:id', allow('integrations.manage'), async (ctx) => {
    ctx.body = await sources.update(actorOf(ctx), idParam(ctx), parseInput(eventSourceUpdateSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.get('/inbound-events', allow('integrations.review'), async (ctx) => {
    ctx.body = await inbound.list(actorOf(ctx), parseInput(inboundEventListSchema, ctx.query));
  });
  r.post('/inbound-events/:id/resolve', allow('integrations.review'), async (ctx) => {
    ctx.body = await inbound.resolve(actorOf(ctx), idParam(ctx), parseInput(inboundResolveSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.post('/inbound-events/:id/dismiss', allow('integrations.review'), async (ctx) => {
    ctx.body = await inbound.dismiss(actorOf(ctx), idParam(ctx), parseInput(inboundDismissSchema, ctx.request.body).reason, requestIdOf(ctx));
  });
  return r;
}

export function webhookRoutes(webhooks: Webhooks): Router {
  const r = new Router({ prefix: '/api/webhooks' });
  r.use(allow('integrations.manage'));
  r.get('/', async (ctx) => {
    ctx.body = await webhooks.list(actorOf(ctx));
  });
  r.post('/', async (ctx) => {
    ctx.status = 201;
    ctx.body = await webhooks.create(actorOf(ctx), parseInput(webhookCreateSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.patch('/:id', async (ctx) => {
    ctx.body = await webhooks.update(actorOf(ctx), idParam(ctx), parseInput(webhookUpdateSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.delete('/:id', async (ctx) => {
    ctx.body = await webhooks.remove(actorOf(ctx), idParam(ctx), requestIdOf(ctx));
  });
  r.get('/:id/deliveries', async (ctx) => {
    ctx.body = await webhooks.deliveries(actorOf(ctx), idParam(ctx), parseInput(webhookDeliveryListSchema, ctx.query));
  });
  r.post('/:id/deliveries/:deliveryId/replay', async (ctx) => {
    ctx.body = await webhooks.replay(actorOf(ctx), idParam(ctx), idParam(ctx, 'deliveryId'), requestIdOf(ctx));
  });
  r.post('/:id/ping', async (ctx) => {
    ctx.status = 201;
    ctx.body = await webhooks.ping(actorOf(ctx), idParam(ctx));
  });
  return r;
}

/** The partner's own API (X-Partner-Key): refer a lead, read the progress of its referrals. Nothing else. */
export function partnerApiRoutes(partners: Partners): Router {
  const r = new Router({ prefix: '/api/partner' });
  r.post('/leads', async (ctx) => {
    const partner = await partners.authenticate(ctx.get('x-partner-key') || undefined);
    const result = await partners.refer(partner, parseInput(referralSchema, ctx.request.body), requestIdOf(ctx));
    if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = result.replayed ? 200 : 201;
    ctx.body = result.body;
  });
  r.get('/leads', async (ctx) => {
    const partner = await partners.authenticate(ctx.get('x-partner-key') || undefined);
    ctx.body = await partners.progress(partner, parseInput(partnerPageSchema, ctx.query).page);
  });
  return r;
}

export function partnerAdminRoutes(partners: Partners): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/partners', allow('integrations.manage'), async (ctx) => {
    ctx.body = await partners.list(actorOf(ctx));
  });
  r.post('/partners', allow('integrations.manage'), async (ctx) => {
    ctx.status = 201;
    ctx.body = await partners.create(actorOf(ctx), parseInput(partnerCreateSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.patch('/partners/:id', allow('integrations.manage'), async (ctx) => {
    ctx.body = await partners.update(actorOf(ctx), idParam(ctx), parseInput(partnerUpdateSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.get('/partner-referrals', allow('partners.review'), async (ctx) => {
    ctx.body = forViewer(actorOf(ctx), await partners.referrals(actorOf(ctx), parseInput(referralListSchema, ctx.query)));
  });
  r.post('/partner-referrals/:id/approve', allow('partners.review'), async (ctx) => {
    ctx.body = await partners.approve(actorOf(ctx), idParam(ctx), requestIdOf(ctx));
  });
  r.post('/partner-referrals/:id/reject', allow('partners.review'), async (ctx) => {
    ctx.body = await partners.reject(actorOf(ctx), idParam(ctx), parseInput(referralRejectSchema, ctx.request.body).reason, requestIdOf(ctx));
  });
  return r;
}

/** Consistency reports (ops, admin): run a pull now, list runs with the KPI, one run's differences. */
export function consistencyRoutes(consistency: Consistency): Router {
  const r = new Router({ prefix: '/api/consistency' });
  r.use(allow('integrations.review'));
  r.get('/runs', async (ctx) => {
    ctx.body = await consistency.list(actorOf(ctx));
  });
  r.get('/runs/:id', async (ctx) => {
    ctx.body = forViewer(actorOf(ctx), await consistency.get(actorOf(ctx), idParam(ctx)));
  });
  r.post('/runs', async (ctx) => {
    const actor = actorOf(ctx);
    ctx.status = 201;
    ctx.body = forViewer(actor, await consistency.pull(actor, actor.companyId, parseInput(consistencyRunSchema, ctx.request.body).sourceId));
  });
  return r;
}

/** The other system's export (CSV or .xlsx) as the request body: mounted before the JSON-only rule, authenticates itself. */
export function consistencyUploadRoutes(app: AppContext, consistency: Consistency): Router {
  const r = new Router();
  r.post('/api/consistency/upload', requireAuth(app.ds, app.tokens, app.actors), maskPhonesInErrors(), allow('integrations.review'), async (ctx) => {
    const { sourceId } = parseInput(consistencyUploadSchema, ctx.query);
    const file = await readLimitedBody(ctx, 10 * 1024 * 1024, () => new AppError(413, 'too_large', '文件过大：最大 10 MB，请拆分后上传'));
    ctx.status = 201;
    ctx.body = forViewer(actorOf(ctx), await consistency.upload(actorOf(ctx), sourceId, file));
  });
  return r;
}
