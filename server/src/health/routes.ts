import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { dataHealth, dataHealthRecords } from './data-health';
import { dataSafetySchema, dataSafetySettings, saveDataSafety } from './settings';
import { requestIdOf } from '../http/router-kit';
import { Company } from '../companies/company.entity';

export const healthRecordsQuerySchema = z.object({ page: z.coerce.number({ error: '页码应为数字' }).int().min(1, '页码从1开始').default(1) }).strict();
const checkKey = z.string().regex(/^[A-Za-z]+(:[a-z]+)?$/, '检查项 key 应取自数据健康列表，如 leadsWithoutLiveCustomer');

/** The data-health view and its drill-down (docs/data-safety.md). */
export function healthRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/data-health', allow('health.view'), async (ctx) => {
    ctx.body = await dataHealth(app, actorOf(ctx));
  });
  r.get('/settings/data-safety', allow('health.view'), async (ctx) => {
    const company = await app.ds.getRepository(Company).findOneByOrFail({ id: actorOf(ctx).companyId });
    ctx.body = dataSafetySettings(company.settings as Record<string, unknown>);
  });
  r.put('/settings/data-safety', allow('data.undo'), async (ctx) => {
    ctx.body = await saveDataSafety(app, actorOf(ctx), parseInput(dataSafetySchema, ctx.request.body), requestIdOf(ctx));
  });
  r.get('/data-health/:key', allow('health.view'), async (ctx) => {
    const key = parseInput(checkKey, ctx.params.key);
    ctx.body = await dataHealthRecords(app, actorOf(ctx), key, parseInput(healthRecordsQuerySchema, ctx.query).page);
  });
  return r;
}
