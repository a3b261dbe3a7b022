import Router from '@koa/router';
import { clientRequestIdSchema, followupCreateSchema } from '@lifeline/shared';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import type { FollowupService } from './followups.service';
import { allow } from '../auth/permissions';

export function followupRoutes(_app: AppContext, followups: FollowupService): Router {
  const r = new Router({ prefix: '/api/followups' });

  r.post('/', allow('followup.create'), async (ctx) => {
    const body = parseInput(followupCreateSchema, ctx.request.body);
    const header = ctx.get('idempotency-key');
    const key = header ? parseInput(clientRequestIdSchema, header) : undefined;
    const result = await followups.create(actorOf(ctx), body, key, requestIdOf(ctx));
    ctx.status = result.status;
    if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
    ctx.body = result.body;
  });
  r.delete('/:id', allow('followup.delete'), async (ctx) => {
    ctx.body = await followups.setDeleted(actorOf(ctx), idParam(ctx), true, requestIdOf(ctx));
  });
  r.post('/:id/restore', allow('followup.delete'), async (ctx) => {
    ctx.body = await followups.setDeleted(actorOf(ctx), idParam(ctx), false, requestIdOf(ctx));
  });
  return r;
}
