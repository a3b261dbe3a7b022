import Router from '@koa/router';
import { IsNull } from 'typeorm';
import { z } from 'zod';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { notFound } from '../http/errors';
import { Audit } from '../audit/audit.service';
import { countScriptSend } from '../alarms/tap';
import { ScriptPick } from './script.entities';
import { companyScripts } from './library';

const pickQuery = z.object({ leadId: z.coerce.number({ message: '线索编号必须是数字' }).int().positive('线索编号必须是正整数') });

/**
 * Script picks for the sidebar (contract): the signed-in rep's unsent picks for a lead, and marking one sent
 * (idempotent; counts one send of the script; audited).
 */
export function scriptRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api' });

  r.get('/script-picks', async (ctx) => {
    const actor = actorOf(ctx);
    const { leadId } = parseInput(pickQuery, ctx.query);
    // The lead must be the caller's company's (another company's id is a 404); a colleague's lead just has no picks of theirs.
    const [lead] = await app.ds.query('SELECT id FROM `lead` WHERE id = ? AND companyId = ?', [leadId, actor.companyId]);
    if (!lead) throw notFound(`线索不存在或无权查看（ID ${leadId}）`);
    const rows = await app.ds.getRepository(ScriptPick).find({
      where: { companyId: actor.companyId, repId: actor.id, leadId, sentAt: IsNull() },
      order: { pickedAt: 'DESC', id: 'DESC' },
    });
    ctx.body = { items: rows.map((p) => ({ id: p.id, scriptId: p.scriptId, text: p.text, pickedAt: new Date(p.pickedAt).toISOString() })) };
  });

  r.post('/script-picks/:id/sent', async (ctx) => {
    const actor = actorOf(ctx);
    const id = idParam(ctx);
    ctx.body = await app.tx.run(async (em) => {
      const now = app.clock.now();
      const lockRead = app.tx.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {};
      const pick = await em.getRepository(ScriptPick).findOne({ where: { id, companyId: actor.companyId, repId: actor.id }, ...lockRead });
      if (!pick) throw notFound('话术记录不存在');
      if (pick.sentAt !== null) return { id, sentAt: new Date(pick.sentAt).toISOString(), alreadySent: true };
      await em.getRepository(ScriptPick).update({ id }, { sentAt: now });
      await countScriptSend(em, pick.scriptId, now);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId: requestIdOf(ctx), at: now }).changed('script_pick', id, [
        { field: 'sentAt', before: null, after: now },
      ]);
      return { id, sentAt: new Date(now).toISOString(), alreadySent: false };
    });
  });

  r.get('/scripts', async (ctx) => {
    const actor = actorOf(ctx);
    const list = await app.tx.run((em) => companyScripts(em, actor.companyId, app.clock.now()));
    ctx.body = {
      items: list.map((s) => ({
        id: s.id,
        category: s.category,
        title: s.title,
        text: s.text,
        tags: s.tags,
        journeyNode: s.journeyNode,
        concern: s.concern,
        sendCount: s.sendCount,
        progressCount: s.progressCount,
      })),
    };
  });
  return r;
}
