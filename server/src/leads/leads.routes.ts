import Router from '@koa/router';
import { leadCreateSchema, leadListQuerySchema, leadUpdateSchema } from '@lifeline/shared';
import { In } from 'typeorm';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { AuditLog } from '../audit/audit-log.entity';
import type { FollowupService } from '../followups/followups.service';
import type { LeadService } from './leads.service';
import { buildTimeline } from './timeline';
import { KEY_FIELD_ROLES } from '../auth/actor';
import { allow } from '../auth/permissions';
import { forViewer } from '../customers/phone-visibility';

export function leadRoutes(app: AppContext, leads: LeadService, followups: FollowupService): Router {
  const r = new Router({ prefix: '/api/leads' });

  r.post('/', allow('lead.create'), async (ctx) => {
    const body = parseInput(leadCreateSchema, ctx.request.body);
    ctx.status = 201;
    ctx.body = await leads.create(actorOf(ctx), body, requestIdOf(ctx));
  });
  r.get('/', async (ctx) => {
    ctx.body = await leads.list(actorOf(ctx), parseInput(leadListQuerySchema, ctx.query));
  });
  r.get('/:id', async (ctx) => {
    ctx.body = await leads.get(actorOf(ctx), idParam(ctx));
  });
  r.patch('/:id', allow('lead.edit'), async (ctx) => {
    const body = parseInput(leadUpdateSchema, ctx.request.body);
    ctx.body = await leads.update(actorOf(ctx), idParam(ctx), body, requestIdOf(ctx));
  });
  r.post('/:id/claim', allow('lead.claim'), async (ctx) => {
    ctx.body = await leads.claim(actorOf(ctx), idParam(ctx), requestIdOf(ctx));
  });
  r.delete('/:id', allow('lead.delete'), async (ctx) => {
    ctx.body = await leads.remove(actorOf(ctx), idParam(ctx), requestIdOf(ctx));
  });
  r.post('/:id/restore', allow('lead.delete'), async (ctx) => {
    ctx.body = await leads.restore(actorOf(ctx), idParam(ctx), requestIdOf(ctx));
  });
  /** The lead's story: intake, assignment, each contact, material, booking, signing — with times, people and scripts. */
  r.get('/:id/timeline', async (ctx) => {
    const actor = actorOf(ctx);
    const lead = await leads.findVisible(app.ds.manager, actor, idParam(ctx), { withDeleted: KEY_FIELD_ROLES.includes(actor.role) });
    ctx.body = { leadId: lead.id, items: forViewer(actor, await buildTimeline(app.ds.manager, lead)) };
  });
  r.get('/:id/followups', async (ctx) => {
    const actor = actorOf(ctx);
    ctx.body = { items: forViewer(actor, await followups.listForLead(actor, idParam(ctx))) };
  });
  /** The lead's audit trail, plus its follow-ups' and customer's: who changed what, when. */
  r.get('/:id/audit', async (ctx) => {
    const actor = actorOf(ctx);
    const lead = await leads.findVisible(app.ds.manager, actor, idParam(ctx), { withDeleted: true });
    const followupIds: { id: number }[] = await app.ds.query('SELECT id FROM followup WHERE companyId = ? AND leadId = ?', [actor.companyId, lead.id]);
    const rows = await app.ds.getRepository(AuditLog).find({
      where: [
        { companyId: actor.companyId, entity: 'lead', entityId: lead.id },
        { companyId: actor.companyId, entity: 'customer', entityId: lead.customerId },
        ...(followupIds.length ? [{ companyId: actor.companyId, entity: 'followup', entityId: In(followupIds.map((f) => Number(f.id))) }] : []),
      ],
      order: { at: 'ASC', id: 'ASC' },
    });
    // Audit rows hold whole records (a customer's phone, a follow-up's text): masked like every other view.
    ctx.body = forViewer(actor, {
      items: rows.map((a) => ({
        id: a.id,
        entity: a.entity,
        entityId: a.entityId,
        action: a.action,
        field: a.field,
        before: a.before === null ? null : JSON.parse(a.before),
        after: a.after === null ? null : JSON.parse(a.after),
        actorId: a.actorId,
        at: a.at,
        requestId: a.requestId,
      })),
    });
  });
  return r;
}
