import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { requestIdOf } from '../http/router-kit';
import type { ScoringService } from '../scoring/scoring.service';
import { acceptFieldLift, fieldLiftReview } from './field-lift';

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '月份格式应为 YYYY-MM（如 2026-01）');
export const fieldLiftQuerySchema = z.object({ month }).strict();
export const fieldLiftAcceptSchema = z.object({ month, keys: z.array(z.string().max(200)).min(1, '请至少选择一条建议').max(100) }).strict();

export function reviewRoutes(app: AppContext, scoring: ScoringService): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/reviews/field-lift', allow('settings.view'), async (ctx) => {
    ctx.body = await fieldLiftReview(app, actorOf(ctx), parseInput(fieldLiftQuerySchema, ctx.query).month);
  });
  r.post('/reviews/field-lift/accept', allow('scoring.configure'), async (ctx) => {
    const body = parseInput(fieldLiftAcceptSchema, ctx.request.body);
    ctx.body = await acceptFieldLift(app, scoring, actorOf(ctx), body.month, body.keys, requestIdOf(ctx));
  });
  return r;
}
