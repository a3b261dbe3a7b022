import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import { scriptCreateSchema, scriptUpdateSchema } from '@lifeline/shared';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import type { Actor } from '../auth/actor';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { conflict, notFound } from '../http/errors';
import { Audit, diffFields } from '../audit/audit.service';
import { Script } from './script.entities';
import { companyScripts } from './library';
import { allow, assertCan } from '../auth/permissions';

function assertEditor(actor: Actor): void {
  assertCan(actor, 'scripts.edit');
}

const view = (s: Script) => ({
  id: s.id,
  category: s.category,
  title: s.title,
  text: s.text,
  tags: s.tags,
  journeyNode: s.journeyNode,
  concern: s.concern,
  sendCount: s.sendCount,
  progressCount: s.progressCount,
  deletedAt: s.deletedAt,
});

/**
 * The script library: ops/director/admin add, edit, remove (soft) and restore scripts; every change is
 * audited. Send and progress counts are the library's own statistics and cannot be edited.
 */
export function scriptLibraryRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api/scripts' });

  r.post('/', allow('scripts.edit'), async (ctx) => {
    const actor = actorOf(ctx);
    assertEditor(actor);
    const body = parseInput(scriptCreateSchema, ctx.request.body);
    ctx.status = 201;
    ctx.body = await app.tx.run(async (em) => {
      const now = app.clock.now();
      await companyScripts(em, actor.companyId, now); // a first custom script must not suppress the default library
      const row = {
        ...body,
        companyId: actor.companyId,
        code: `custom-${randomUUID().slice(0, 8)}`,
        sendCount: 0,
        progressCount: 0,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      };
      const { identifiers } = await em.getRepository(Script).insert(row);
      const id = Number(identifiers[0].id);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId: requestIdOf(ctx), at: now }).created('script', id, { id, ...row });
      return view({ ...(row as Script), id });
    });
  });

  r.patch('/:id', allow('scripts.edit'), async (ctx) => {
    const actor = actorOf(ctx);
    assertEditor(actor);
    const id = idParam(ctx);
    const patch = parseInput(scriptUpdateSchema, ctx.request.body);
    ctx.body = await app.tx.run(async (em) => {
      const now = app.clock.now();
      const s = await em.getRepository(Script).findOneBy({ id, companyId: actor.companyId });
      if (!s || s.deletedAt !== null) throw notFound(`话术不存在（ID ${id}）`);
      const changes = diffFields(s, patch);
      if (changes.length) {
        await em.getRepository(Script).update({ id }, { ...patch, updatedAt: now });
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId: requestIdOf(ctx), at: now }).changed('script', id, changes);
      }
      return view({ ...s, ...patch, updatedAt: now } as Script);
    });
  });

  const setDeleted = (deleted: boolean) => async (ctx: import('koa').Context) => {
    const actor = actorOf(ctx);
    assertEditor(actor);
    const id = idParam(ctx);
    ctx.body = await app.tx.run(async (em) => {
      const now = app.clock.now();
      const s = await em.getRepository(Script).findOneBy({ id, companyId: actor.companyId });
      if (!s) throw notFound(`话术不存在（ID ${id}）`);
      if (deleted === (s.deletedAt !== null)) throw conflict(deleted ? '这条话术已删除' : '这条话术未被删除');
      const deletedAt = deleted ? now : null;
      await em.getRepository(Script).update({ id }, { deletedAt, updatedAt: now });
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId: requestIdOf(ctx), at: now }).changed(
        'script',
        id,
        [{ field: 'deletedAt', before: s.deletedAt, after: deletedAt }],
        deleted ? 'delete' : 'restore',
      );
      return view({ ...s, deletedAt });
    });
  };
  r.delete('/:id', allow('scripts.edit'), setDeleted(true));
  r.post('/:id/restore', allow('scripts.edit'), setDeleted(false));
  return r;
}
