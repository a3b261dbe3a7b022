import Router from '@koa/router';
import { z } from 'zod';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { DEFAULT_DIRECTORY_SETTINGS } from '../companies/settings';
import { DirectoryEvent } from './directory.entities';
import { runView, type SyncRuns } from './sync-runs';
import { directorySettingsPatchSchema, saveDirectorySettings } from './settings';

/** What the admin screens must say about the fields a sync cannot read (WeCom's 2022 rules; docs/directory.md). */
export const FIELDS_NOTICE =
  '通讯录同步只读取成员的账号、姓名、部门、主部门、职务、部门负责人和在职状态。2022 年 6 月 20 日后创建的企业微信自建应用读不到手机号、邮箱和头像' +
  '（需成员本人授权），钉钉读取手机号需单独申请权限，因此同步来的人员没有手机号和邮箱，请勿据此判断资料缺失。';

export const eventsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

/** Directory sync routes (admin, capability directory.sync). */
export function directorySyncRoutes(app: AppContext, runs: SyncRuns, hooks: { kick: () => void; settingsChanged: () => void }): Router {
  const { kick } = hooks;
  const r = new Router({ prefix: '/api/directory' });
  const guard = allow('directory.sync');

  r.post('/sync', guard, async (ctx) => {
    const a = actorOf(ctx);
    const run = await runs.start(a.companyId, 'manual', a.id, requestIdOf(ctx));
    kick();
    ctx.status = 202;
    ctx.body = { ...runView(run, app.clock.now()), notice: FIELDS_NOTICE };
  });

  r.get('/sync', guard, async (ctx) => {
    const now = app.clock.now();
    ctx.body = { items: (await runs.list(actorOf(ctx).companyId)).map((run) => runView(run, now)) };
  });

  r.get('/sync/:id', guard, async (ctx) => {
    ctx.body = { ...runView(await runs.get(actorOf(ctx).companyId, idParam(ctx)), app.clock.now()), notice: FIELDS_NOTICE };
  });

  r.post('/sync/:id/apply', guard, async (ctx) => {
    const a = actorOf(ctx);
    const run = await runs.approve(a.companyId, idParam(ctx), a.id, requestIdOf(ctx));
    kick();
    ctx.status = 202;
    ctx.body = runView(run, app.clock.now());
  });

  r.post('/sync/:id/cancel', guard, async (ctx) => {
    const a = actorOf(ctx);
    ctx.body = runView(await runs.cancel(a.companyId, idParam(ctx), a.id, requestIdOf(ctx)), app.clock.now());
  });

  r.get('/events', guard, async (ctx) => {
    const q = parseInput(eventsQuerySchema, ctx.query);
    const rows = await app.ds
      .getRepository(DirectoryEvent)
      .find({ where: { companyId: actorOf(ctx).companyId }, order: { receivedAt: 'DESC', id: 'DESC' }, take: q.limit });
    ctx.body = {
      items: rows.map((e) => ({
        id: e.id,
        platform: e.platform,
        eventType: e.eventType,
        kind: e.kind,
        externalId: e.externalId,
        previousId: e.previousId,
        state: e.state,
        attempts: e.attempts,
        outcome: e.outcome,
        receivedAt: e.receivedAt,
        processedAt: e.processedAt,
      })),
    };
  });

  r.get('/settings', guard, (ctx) => {
    ctx.body = { settings: actorOf(ctx).settings.directory, defaults: DEFAULT_DIRECTORY_SETTINGS, notice: FIELDS_NOTICE };
  });

  r.put('/settings', guard, async (ctx) => {
    const a = actorOf(ctx);
    const saved = await saveDirectorySettings(app, a, parseInput(directorySettingsPatchSchema, ctx.request.body), requestIdOf(ctx));
    if (saved.changed.length) hooks.settingsChanged();
    ctx.body = saved;
  });
  return r;
}
