import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { lookupLead, lookupPhone } from './lookup.service';
import { CustomerRecords } from './customer-records.service';
import { allow } from '../auth/permissions';
import { idSchema } from '@lifeline/shared';
import { mergeCustomers } from './merge';

/** By the phone typed in the sidebar, or by a lead opened from 我的待办 / an alarm (no phone typed, none shown if masked). */
const lookupQuery = z
  .object({
    phone: z.string().max(40, '手机号过长').optional(),
    leadId: z.coerce.number({ error: 'leadId 应为数字' }).int().positive('leadId 应为正整数').optional(),
  })
  .strict()
  .refine((q) => (q.phone === undefined) !== (q.leadId === undefined), '请提供 phone 或 leadId 参数（二选一）');

export const mergeSchema = z
  .object({
    keepId: idSchema,
    mergeId: idSchema,
    dryRun: z.boolean({ error: 'dryRun 应为 true（预览）或 false（合并）' }),
  })
  .strict();

export function customerRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api/customers' });
  const records = new CustomerRecords(app);

  r.get('/lookup', async (ctx) => {
    const q = parseInput(lookupQuery, ctx.query);
    ctx.body = q.leadId !== undefined ? await lookupLead(app, actorOf(ctx), q.leadId) : await lookupPhone(app, actorOf(ctx), q.phone!);
  });
  r.post('/merge', allow('customer.delete'), async (ctx) => {
    ctx.body = await mergeCustomers(app, actorOf(ctx), parseInput(mergeSchema, ctx.request.body), requestIdOf(ctx));
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
