import Router from '@koa/router';
import { IsNull } from 'typeorm';
import { devLoginSchema, ROLE_LABELS } from '@lifeline/shared';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { notFound } from '../http/errors';
import { User } from '../users/user.entity';
import { actorOf } from './auth.middleware';
import { can } from './permissions';

/**
 * Dev login exists only in demo mode and tests: it signs in as a seeded user by id or role, so the
 * demo and the test suites need no WeCom/DingTalk. Real platform login arrives with the sidebar.
 */
export function devLoginRoutes(app: AppContext): Router {
  const r = new Router();
  r.post('/api/auth/dev-login', async (ctx) => {
    const body = parseInput(devLoginSchema, ctx.request.body ?? {});
    const repo = app.ds.getRepository(User);
    const user =
      body.userId !== undefined
        ? await repo.findOneBy({ id: body.userId })
        : await repo.findOne({
            where: { role: body.role!, active: true, ...(body.companyId ? { companyId: body.companyId } : {}) },
            order: { id: 'ASC' },
          });
    if (!user || !user.active || user.deletedAt) throw notFound('没有找到可登录的用户');
    const token = await app.tokens.sign({ userId: user.id, companyId: user.companyId });
    ctx.body = { token, user: { id: user.id, name: user.name, role: user.role, companyId: user.companyId } };
  });

  /**
   * Who the demo can be signed in as: every active user of the demo company, whatever the current user's role (a rep
   * sees only herself in GET /api/users, so switching from a rep to the director needed the storage cleared).
   */
  r.get('/api/auth/dev-users', async (ctx) => {
    const companyId = Number(ctx.query.companyId) || undefined;
    const repo = app.ds.getRepository(User);
    const first = companyId ?? (await repo.findOne({ where: { active: true }, order: { id: 'ASC' } }))?.companyId;
    const users = first ? await repo.find({ where: { companyId: first, active: true, deletedAt: IsNull() }, order: { id: 'ASC' } }) : [];
    ctx.body = { items: users.map((u) => ({ id: u.id, name: u.name, role: u.role, roleLabel: ROLE_LABELS[u.role] })) };
  });
  return r;
}

export function meRoutes(): Router {
  const r = new Router();
  r.get('/api/me', (ctx) => {
    const a = actorOf(ctx);
    ctx.body = {
      id: a.id,
      name: a.name,
      role: a.role,
      roleLabel: ROLE_LABELS[a.role],
      companyId: a.companyId,
      orgUnitId: a.orgUnitId,
      scope: a.scope ? 'team' : 'company',
      /** Dashboard CSV export: ops/director/admin always, supervisors when the company allows it, reps never. */
      canExport: can(a, 'metrics.export'),
    };
  });
  return r;
}
