import Router from '@koa/router';
import { vocabularySchema } from '@lifeline/shared';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { requestIdOf } from '../http/router-kit';
import { saveVocabulary, vocabularyOf } from './vocabulary';

/** 设置 · 词表: action tags, quick phrases, courses, required profile fields, supervisors' export permission. */
export function vocabularyRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api/settings' });
  r.get('/vocabulary', allow('settings.view'), async (ctx) => {
    ctx.body = await vocabularyOf(app, actorOf(ctx));
  });
  r.put('/vocabulary', allow('settings.configure'), async (ctx) => {
    ctx.body = await saveVocabulary(app, actorOf(ctx), parseInput(vocabularySchema, ctx.request.body), requestIdOf(ctx));
  });
  return r;
}
