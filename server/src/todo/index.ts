import Router from '@koa/router';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { todoQuerySchema } from './schemas';
import { listTodo } from './todo.service';

/** 我的待办 (docs/screens.md). */
export function todoRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/todo', async (ctx) => {
    ctx.body = await listTodo(app, actorOf(ctx), parseInput(todoQuerySchema, ctx.query));
  });
  return r;
}
