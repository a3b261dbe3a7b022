import Router from '@koa/router';
import type { AppContext } from '../context';
import { subscribeScriptProgress } from '../scripts/progress';
import { scriptRoutes } from '../scripts/picks.routes';
import { scriptLibraryRoutes } from '../scripts/library.routes';
import { alarmSettingsRoutes } from './settings.routes';
import { consoleRoutes } from '../console/console.routes';
import { wecomCallbackRoutes } from './wecom-callback';
import { dingtalkCallbackRoutes } from '../platforms/dingtalk/callback';
import { dingtalkCardCallbackRoutes } from './dingtalk-card-callback';

export { AlarmEngine } from './engine';
export { backfillTimers, timersStep } from './timers';

/**
 * Alarm engine wiring: timers follow lead/follow-up changes through the projector (`timersStep`, composed in app.ts); `raw` holds the routes
 * that read their own bodies (platform callbacks, console taps); `authed` script picks, the script library
 * and the alarm settings API.
 */
export function alarmsModule(ctx: AppContext) {
  subscribeScriptProgress(ctx);
  const raw = new Router();
  for (const r of [wecomCallbackRoutes(ctx), dingtalkCallbackRoutes(ctx), dingtalkCardCallbackRoutes(ctx), consoleRoutes(ctx)])
    raw.use(r.routes(), r.allowedMethods());
  const authed = new Router();
  for (const r of [scriptRoutes(ctx), scriptLibraryRoutes(ctx), alarmSettingsRoutes(ctx)]) authed.use(r.routes(), r.allowedMethods());
  return { raw, authed };
}
