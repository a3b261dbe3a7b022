import Router from '@koa/router';
import { channelCreateSchema, channelUpdateSchema } from '@lifeline/shared/src/intake';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import type { LeadService } from '../leads/leads.service';
import type { IntakeService } from './intake.service';
import { allow } from '../auth/permissions';
import { forViewer } from '../customers/phone-visibility';

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
  /** What the lead arrived as: the raw payload(s) archived beside it. */
  r.get('/leads/:id/intake', async (ctx) => {
    const actor = actorOf(ctx);
    const lead = await leads.findVisible(app.ds.manager, actor, idParam(ctx), { withDeleted: true });
    ctx.body = { items: forViewer(actor, await intake.recordsFor(app.ds.manager, actor.companyId, lead.id)) };
  });
  return r;
}
