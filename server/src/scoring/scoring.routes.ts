import Router from '@koa/router';
import { scoreWeightsSchema } from '@lifeline/shared/src/routing';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { requestIdOf } from '../http/router-kit';
import type { ScoringService } from './scoring.service';
import { allow } from '../auth/permissions';
import type { AppContext } from '../context';
import { previewWeights } from './preview';

export function scoringRoutes(app: AppContext, scoring: ScoringService): Router {
  const r = new Router({ prefix: '/api/scoring' });
  r.get('/weights', async (ctx) => {
    ctx.body = scoring.get(actorOf(ctx));
  });
  r.put('/weights', allow('scoring.configure'), async (ctx) => {
    ctx.body = await scoring.save(actorOf(ctx), parseInput(scoreWeightsSchema, ctx.request.body), requestIdOf(ctx));
  });
  // Before saving: the effect of the weights being edited (A-level count over 30 days, three example leads).
  r.post('/preview', allow('scoring.configure'), async (ctx) => {
    const actor = actorOf(ctx);
    const input = parseInput(scoreWeightsSchema, ctx.request.body);
    ctx.body = await previewWeights(app, actor, input.weights, input.levelA ?? actor.settings.levelA);
  });
  r.post('/recompute', allow('scoring.configure'), async (ctx) => {
    ctx.body = await scoring.recompute(actorOf(ctx), undefined, undefined, requestIdOf(ctx));
  });
  return r;
}
