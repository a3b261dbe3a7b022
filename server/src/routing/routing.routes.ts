import Router from '@koa/router';
import { dryRunSchema, experimentStopSchema, poolSchema, queueAssignSchema, ruleSetSchema } from '@lifeline/shared/src/routing';
import { idSchema } from '@lifeline/shared';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import type { RoutingService } from './routing.service';
import { allow } from '../auth/permissions';

export function routingRoutes(routing: RoutingService): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/routing/rules', async (ctx) => {
    ctx.body = await routing.rules(actorOf(ctx));
  });
  r.get('/routing/rules/:version', async (ctx) => {
    ctx.body = await routing.ruleVersion(actorOf(ctx), parseInput(idSchema, ctx.params.version));
  });
  r.put('/routing/rules', allow('routing.configure'), async (ctx) => {
    ctx.body = await routing.saveRules(actorOf(ctx), parseInput(ruleSetSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.get('/routing/pools', async (ctx) => {
    ctx.body = await routing.pools(actorOf(ctx));
  });
  r.post('/routing/pools', allow('routing.configure'), async (ctx) => {
    ctx.status = 201;
    ctx.body = await routing.createPool(actorOf(ctx), parseInput(poolSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.put('/routing/pools/:id', allow('routing.configure'), async (ctx) => {
    ctx.body = await routing.updatePool(actorOf(ctx), idParam(ctx), parseInput(poolSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.post('/routing/dry-run', async (ctx) => {
    ctx.body = await routing.dryRun(actorOf(ctx), parseInput(dryRunSchema, ctx.request.body));
  });
  r.get('/routing/queue', allow('routing.queue'), async (ctx) => {
    ctx.body = await routing.queue(actorOf(ctx));
  });
  r.post('/routing/queue/:id/assign', allow('routing.assign'), async (ctx) => {
    const { ownerId, reason } = parseInput(queueAssignSchema, ctx.request.body);
    ctx.body = await routing.assignFromQueue(actorOf(ctx), idParam(ctx), ownerId, requestIdOf(ctx), reason);
  });
  r.get('/routing/experiments', allow('routing.experiments'), async (ctx) => {
    ctx.body = await routing.experiments.list(actorOf(ctx));
  });
  r.get('/routing/experiments/:id', allow('routing.experiments'), async (ctx) => {
    ctx.body = await routing.experiments.report(actorOf(ctx), idParam(ctx));
  });
  r.post('/routing/experiments/:id/stop', allow('routing.configure'), async (ctx) => {
    const { reason } = parseInput(experimentStopSchema, ctx.request.body);
    ctx.body = await routing.experiments.stop(actorOf(ctx), idParam(ctx), reason, requestIdOf(ctx));
  });
  r.get('/leads/:id/routing', async (ctx) => {
    ctx.body = await routing.decisionsFor(actorOf(ctx), idParam(ctx));
  });
  return r;
}
