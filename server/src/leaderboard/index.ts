import type Router from '@koa/router';
import type { AppContext } from '../context';
import { subscribeEntryPoints } from './points';
import { leaderboardRoutes } from './routes';

/** The entry leaderboard (docs/leaderboard.md): points written with each follow-up, the boards, the rules. */
export function leaderboardModule(ctx: AppContext) {
  subscribeEntryPoints(ctx);
  return { authed: [leaderboardRoutes(ctx)] as Router[] };
}
