import Router from '@koa/router';
import type { Context } from 'koa';
import { channelCreateSchema, channelUpdateSchema } from '@lifeline/shared/src/intake';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import type { LeadService } from '../leads/leads.service';
import type { IntakeService } from './intake.service';
import { allow } from '../auth/permissions';
import { forViewer } from '../customers/phone-visibility';
import { AppError } from '../http/errors';
import { readLimitedBody } from '../http/body';
import { SPI_MAX_BYTES, challengeReply, spiReply } from './oceanengine';

/** Open to the outside: authenticated per channel (key header, or the platform's signature). */
export function intakeOpenRoutes(intake: IntakeService): Router {
  const r = new Router();
  r.post('/api/intake/:code', async (ctx) => {
    const result = await intake.receive({
      code: String(ctx.params.code),
      key: ctx.get('x-intake-key') || undefined,
      timestamp: ctx.get('x-douyin-timestamp') || undefined,
      signature: ctx.get('x-douyin-signature') || undefined,
      rawBody: (ctx.request as unknown as { rawBody?: string }).rawBody ?? JSON.stringify(ctx.request.body ?? null),
      body: ctx.request.body,
      requestId: requestIdOf(ctx),
    });
    if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.status = result.replayed ? 200 : 201;
    ctx.body = result.body;
  });
  return r;
}

export function intakeAdminRoutes(app: AppContext, intake: IntakeService, leads: LeadService): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/intake-channels', allow('intake.channels'), async (ctx) => {
    ctx.body = await intake.list(actorOf(ctx));
  });
  r.post('/intake-channels', allow('intake.channels'), async (ctx) => {
    ctx.status = 201;
    ctx.body = await intake.create(actorOf(ctx), parseInput(channelCreateSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.patch('/intake-channels/:id', allow('intake.channels'), async (ctx) => {
    ctx.body = await intake.update(actorOf(ctx), idParam(ctx), parseInput(channelUpdateSchema, ctx.request.body), requestIdOf(ctx));
  });
  /** The QR code of the channel's hosted lead form (a PNG as a data URL), for 展会 posters and printed material. */
  r.get('/intake-channels/:id/form-qr', allow('intake.channels'), async (ctx) => {
    ctx.body = await intake.formQr(actorOf(ctx), idParam(ctx));
  });
  /** What the lead arrived as: the raw payload(s) archived beside it. */
  r.get('/leads/:id/intake', async (ctx) => {
    const actor = actorOf(ctx);
    const lead = await leads.findVisible(app.ds.manager, actor, idParam(ctx), { withDeleted: true });
    ctx.body = { items: forViewer(actor, await intake.recordsFor(app.ds.manager, actor.companyId, lead.id)) };
  });
  return r;
}

/**
 * The 巨量引擎 SPI callback URL of a channel (GET or POST: the handshake may come either way). Reads the raw bytes
 * itself, before the JSON body rule, because the signature covers them. Every answer carries the platform's
 * `BaseResp`: StatusCode 200 ok, 4xx refused for good (no retry), 5xx try again.
 */
export function spiRoutes(intake: IntakeService): Router {
  const r = new Router();
  const handle = async (ctx: Context) => {
    try {
      const rawBody =
        ctx.method === 'POST'
          ? await readLimitedBody(ctx, SPI_MAX_BYTES, () => new AppError(413, 'payload_too_large', '请求体过大（最多64KB）'))
          : Buffer.alloc(0);
      const outcome = await intake.receiveSpi({
        code: String(ctx.params.code),
        rawBody,
        query: ctx.query,
        signature: ctx.get('x-open-signature') || undefined,
        requestId: requestIdOf(ctx),
      });
      ctx.status = 200;
      if (outcome.kind === 'challenge') {
        ctx.type = 'application/json';
        ctx.body = challengeReply(outcome.challenge);
        return;
      }
      if (outcome.kind === 'ignored')
        ctx.state.log?.warn({ serviceLabel: outcome.label, channel: ctx.params.code }, 'oceanengine push with an unsubscribed service_label archived');
      if (outcome.replayed) ctx.set('Idempotent-Replayed', 'true');
      ctx.body = { ...spiReply(200), ...(outcome.kind === 'lead' ? { leadId: outcome.body.leadId, replayed: outcome.replayed } : { ignored: true }) };
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err; // 5xx: the platform retries
      ctx.status = err.status;
      ctx.body = { ...spiReply(err.status, err.message), error: { code: err.code, message: err.message } };
    }
  };
  r.get('/api/spi/oceanengine/:code', handle);
  r.post('/api/spi/oceanengine/:code', handle);
  return r;
}
