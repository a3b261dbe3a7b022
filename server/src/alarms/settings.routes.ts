import Router from '@koa/router';
import { alarmSettingsPatchSchema } from '@lifeline/shared';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { requestIdOf } from '../http/router-kit';
import { AlarmSettingsService } from './settings.service';
import { allow } from '../auth/permissions';
import { learnMissModel, missModelView } from './miss-model';

/** GET/PUT /api/alarms/settings: the company's alarm thresholds, high-risk grades, quiet hours and limits. */
export function alarmSettingsRoutes(app: AppContext): Router {
  const service = new AlarmSettingsService(app);
  const r = new Router({ prefix: '/api/alarms' });
  r.get('/settings', allow('alarms.view'), (ctx) => {
    ctx.body = service.get(actorOf(ctx));
  });
  r.put('/settings', allow('alarms.configure'), async (ctx) => {
    ctx.body = await service.save(actorOf(ctx), parseInput(alarmSettingsPatchSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.get('/miss-model', allow('alarms.view'), async (ctx) => {
    ctx.body = await missModelView(app, actorOf(ctx));
  });
  r.post('/miss-model/learn', allow('alarms.configure'), async (ctx) => {
    await learnMissModel(app, actorOf(ctx).companyId);
    ctx.body = await missModelView(app, actorOf(ctx));
  });
  return r;
}
