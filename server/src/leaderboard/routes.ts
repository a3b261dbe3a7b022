import Router from '@koa/router';
import { DEFAULT_LEADERBOARD_RULES, leaderboardEntriesQuerySchema, leaderboardQuerySchema, leaderboardRulesPatchSchema } from '@lifeline/shared';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { requestIdOf } from '../http/router-kit';
import { saveSettingsBlock } from '../companies/settings-block';
import { entriesOf, leaderboard } from './board';

export function leaderboardRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/leaderboard', async (ctx) => {
    const { day } = parseInput(leaderboardQuerySchema, ctx.query);
    ctx.body = await leaderboard(app, actorOf(ctx), day);
  });
  r.get('/leaderboard/entries', async (ctx) => {
    const q = parseInput(leaderboardEntriesQuerySchema, ctx.query);
    ctx.body = await entriesOf(app, actorOf(ctx), q.userId, q.day);
  });
  r.put('/leaderboard/settings', allow('settings.configure'), async (ctx) => {
    const actor = actorOf(ctx);
    const patch = parseInput(leaderboardRulesPatchSchema, ctx.request.body);
    const result = await saveSettingsBlock(app, actor, 'leaderboard', patch, requestIdOf(ctx));
    ctx.body = { rules: result.settings, changed: result.changed, defaults: DEFAULT_LEADERBOARD_RULES };
  });
  return r;
}
