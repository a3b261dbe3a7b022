import Router from '@koa/router';
import { In, IsNull } from 'typeorm';
import { CONCERNS, GRADES, JOURNEY_NODES, LEAD_STATUSES, LEAD_STATUS_LABELS, CONCLUSION_MAX } from '@lifeline/shared';
import { userListQuerySchema, userPatchSchema } from './schemas';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow, can } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { OrgUnit } from '../companies/org-unit.entity';
import { listUsers, updateUser } from './user-admin';
import { companyAlarmSettings } from '../alarms/timers';

/** People and org units the actor can see (for pickers), the company's vocabulary (for forms), and user admin. */
export function directoryRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api' });

  /** People in the caller's scope: search (name, platform id) and filters; platform ids for users.view. */
  r.get('/users', async (ctx) => {
    ctx.body = await listUsers(app, actorOf(ctx), parseInput(userListQuerySchema, ctx.query));
  });

  /**
   * Admin: role, active (停用/启用, hands the leads on), org unit, manager, platform ids; admin or a supervisor for
   * their subtree's reps: routing cap and shifts. Audited; applies to the user's next write in every process.
   */
  r.patch('/users/:id', allow('users.editTeam'), async (ctx) => {
    ctx.body = await updateUser(app, actorOf(ctx), idParam(ctx), parseInput(userPatchSchema, ctx.request.body), requestIdOf(ctx));
  });

  r.get('/org-units', async (ctx) => {
    const a = actorOf(ctx);
    const where = { companyId: a.companyId, deletedAt: IsNull(), ...(a.scope ? { id: In(a.scope.unitIds.length ? a.scope.unitIds : [0]) } : {}) };
    const units = await app.ds.getRepository(OrgUnit).find({ where, order: { path: 'ASC' } });
    ctx.body = { items: units.map((u) => ({ id: u.id, name: u.name, kind: u.kind, parentId: u.parentId, supervisorId: u.supervisorId })) };
  });

  r.get('/meta', async (ctx) => {
    const s = actorOf(ctx).settings;
    const alarms = await companyAlarmSettings(app.ds.manager, actorOf(ctx).companyId);
    ctx.body = {
      actionTags: s.actionTags,
      quickPhrases: s.quickPhrases,
      grades: GRADES,
      concerns: CONCERNS,
      journeyNodes: JOURNEY_NODES,
      statuses: LEAD_STATUSES.map((v) => ({ value: v, label: LEAD_STATUS_LABELS[v] })),
      conclusionMax: CONCLUSION_MAX,
      /** What 已签约 asks for: the course signed (each answers one core concern). */
      courses: s.courses,
      signingAction: '已签约',
      /** Whether this user may mark queued content as sent (the sidebar hides the link otherwise). */
      canSendContent: can(actorOf(ctx), 'content.send'),
      /** Alarm quiet hours (China time): the form says so when a next step falls inside them. */
      quietHours: { start: alarms.quietStart, end: alarms.quietEnd },
    };
  });
  return r;
}
