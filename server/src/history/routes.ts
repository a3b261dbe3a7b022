import Router from '@koa/router';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { idParam } from '../http/router-kit';
import { badRequest } from '../http/errors';
import { historyQuerySchema, undoSchema } from './schemas';
import { HISTORY_ENTITIES, recordAt, type HistoryEntity } from './time-travel';
import { undoChanges } from './undo';

/** Time travel and undo from the audit (docs/data-safety.md). */
export function historyRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/history/:entity/:id', allow('history.view'), async (ctx) => {
    const entity = ctx.params.entity as HistoryEntity;
    if (!HISTORY_ENTITIES.includes(entity)) throw badRequest(`不支持的对象类型：${entity}（可选 ${HISTORY_ENTITIES.join('、')}）`);
    const q = parseInput(historyQuerySchema, ctx.query);
    ctx.body = await recordAt(app, actorOf(ctx), entity, idParam(ctx), q.at ?? app.clock.now());
  });
  r.post('/undo', allow('data.undo'), async (ctx) => {
    ctx.body = await undoChanges(app, actorOf(ctx), parseInput(undoSchema, ctx.request.body));
  });
  return r;
}
