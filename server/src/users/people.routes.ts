import Router from '@koa/router';
import { reassignSchema, transferListQuerySchema, transferRetrySchema } from './schemas';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { getUser } from './user-admin';
import { reassign } from './reassign';
import { listTransfers, retryTransfers } from './transfers.service';

/**
 * People administration (docs/people.md): a user's profile, 在职继承, the WeCom customer-transfer queue and the
 * data-health view. The list and PATCH of users are in users.routes.ts. `/users/transfers` is registered before
 * `/users/:id` so it is not read as an id.
 */
export function peopleRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/users/transfers', allow('users.transfer'), async (ctx) => {
    ctx.body = await listTransfers(app, actorOf(ctx), parseInput(transferListQuerySchema, ctx.query));
  });
  r.post('/users/transfers/retry', allow('users.transfer'), async (ctx) => {
    ctx.body = await retryTransfers(app, actorOf(ctx), parseInput(transferRetrySchema, ctx.request.body), requestIdOf(ctx));
  });
  r.get('/users/:id', allow('users.view'), async (ctx) => {
    ctx.body = await getUser(app, actorOf(ctx), idParam(ctx));
  });
  r.post('/users/:id/reassign', allow('users.transfer'), async (ctx) => {
    ctx.body = await reassign(app, actorOf(ctx), idParam(ctx), parseInput(reassignSchema, ctx.request.body), requestIdOf(ctx));
  });
  return r;
}
