import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { lookupPhone } from './lookup.service';
import { CustomerRecords } from './customer-records.service';
import { allow } from '../auth/permissions';

const lookupQuery = z.object({ phone: z.string({ error: '请提供 phone 参数' }).max(40, '手机号过长') }).strict();

export function customerRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api/customers' });
  const records = new CustomerRecords(app);

  r.get('/lookup', async (ctx) => {
    const q = parseInput(lookupQuery, ctx.query);
    ctx.body = await lookupPhone(app, actorOf(ctx), q.phone);
  });
  r.get('/:id', async (ctx) => {
    ctx.body = await records.get(actorOf(ctx), idParam(ctx));
  });
  r.post('/:id/reveal-phone', allow('customer.revealPhone'), async (ctx) => {
    ctx.body = await records.revealPhone(actorOf(ctx), idParam(ctx), requestIdOf(ctx));
  });
  r.delete('/:id', allow('customer.delete'), async (ctx) => {
    ctx.body = await records.setDeleted(actorOf(ctx), idParam(ctx), true, requestIdOf(ctx));
  });
  r.post('/:id/restore', allow('customer.delete'), async (ctx) => {
    ctx.body = await records.setDeleted(actorOf(ctx), idParam(ctx), false, requestIdOf(ctx));
  });
  return r;
}
