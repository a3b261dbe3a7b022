import Router from '@koa/router';
import { scoreWeightsSchema } from '@lifeline/shared/src/routing';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { requestIdOf } from '../http/router-kit';
import type { ScoringService } from './scoring.service';
import { allow } from '../auth/permissions';

export function scoringRoutes(scoring: ScoringService): Router {
  const r = new Router({ prefix: '/api/scoring' });
  r.get('/weights', async (ctx) => {
    ctx.body = scoring.get(actorOf(ctx));
  });
  r.put('/weights', allow('scoring.configure'), async (ctx) => {
    ctx.body = await scoring.save(actorOf(ctx), parseInput(scoreWeightsSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.post('/recompute', allow('scoring.configure'), async (ctx) => {
    ctx.body = await scoring.recompute(actorOf(ctx), undefined, undefined, requestIdOf(ctx));
  });
  return r;
}
