import Router from '@koa/router';
import { z } from 'zod';
import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { Audit } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import type { ChannelKind } from '../channels/port';
import { DeliveryError } from '../channels/port';
import { isUniqueViolation } from '../db/errors';
import { AppError, conflict, notFound } from '../http/errors';
import { idParam, requestIdOf } from '../http/router-kit';
import { parseInput } from '../http/validate';
import { DingtalkApi } from '../platforms/dingtalk/dingtalk-api';
import { dingtalkUserIdFromCode } from '../platforms/dingtalk/login';
import { WecomApi } from '../platforms/wecom/wecom-api';
import { wecomUserIdFromCode } from '../platforms/wecom/oauth';
import { User } from '../users/user.entity';
import { checklistOf, ONBOARDING_ENTITY } from './checklist';
import { consumeSignInLink, issueSignInLink } from './sign-in-links';

export const linkLoginSchema = z
  .object({
    token: z.string().trim().min(10, '登录链接不完整，请复制完整的链接').max(128),
    /** Opened inside WeCom / DingTalk: the platform sign-in code, to bind this user to their platform account. */
    wecomCode: z.string().trim().min(1).max(512).optional(),
    dingtalkAuthCode: z.string().trim().min(1).max(512).optional(),
  })
  .strict();

export const confirmSchema = z.object({ item: z.enum(['alarmThresholdsReviewed']) }).strict();

interface PlatformIdentity {
  field: 'wecomUserId' | 'dingtalkUserId';
  companyField: 'wecomCorpId' | 'dingtalkCorpId';
  corpId: string;
  platformId: string;
}

/** Who the platform code names (asked before the link is used, so a bad code leaves the link valid). */
async function platformIdentity(app: AppContext, body: z.infer<typeof linkLoginSchema>): Promise<PlatformIdentity | null> {
  if (body.wecomCode) {
    const cfg = app.config.wecom;
    if (!cfg) throw new AppError(409, 'wecom_off', '服务器未配置企业微信，无法绑定企业微信账号');
    const platformId = await wecomUserIdFromCode(new WecomApi(cfg, app.clock), body.wecomCode);
    return { field: 'wecomUserId', companyField: 'wecomCorpId', corpId: cfg.corpId, platformId };
  }
  if (body.dingtalkAuthCode) {
    const cfg = app.config.dingtalk;
    if (!cfg?.corpId) throw new AppError(409, 'dingtalk_off', '服务器未配置钉钉（DINGTALK_CORP_ID），无法绑定钉钉账号');
    const platformId = await dingtalkUserIdFromCode(new DingtalkApi(cfg, app.clock), body.dingtalkAuthCode);
    return { field: 'dingtalkUserId', companyField: 'dingtalkCorpId', corpId: cfg.corpId, platformId };
  }
  return null;
}

/** In the link's transaction: the user's company must be the platform's corp, and the account not someone else's. */
async function bind(em: EntityManager, app: AppContext, user: User, who: PlatformIdentity): Promise<void> {
  const company = await em.getRepository(Company).findOneByOrFail({ id: user.companyId });
  if (company[who.companyField] !== who.corpId)
    throw conflict('本公司没有绑定这个企业微信 / 钉钉组织，不能绑定该平台账号（请用 company:create 的 corp id 参数绑定）');
  if (user[who.field] === who.platformId) return;
  const now = app.clock.now();
  await em.getRepository(User).update({ id: user.id, companyId: user.companyId }, { [who.field]: who.platformId, updatedAt: now });
  await new Audit(em, { companyId: user.companyId, actorId: user.id, at: now }).changed('app_user', user.id, [
    { field: who.field, before: user[who.field], after: who.platformId },
  ]);
  user[who.field] = who.platformId;
}

/** POST /api/auth/link (open): a one-time link → a session, binding the platform account when opened inside one. */
export function linkLoginRoutes(app: AppContext): Router {
  const r = new Router();
  r.post('/api/auth/link', async (ctx) => {
    const body = parseInput(linkLoginSchema, ctx.request.body ?? {});
    const who = await platformIdentity(app, body);
    let user: User;
    try {
      user = await app.tx.run(async (em) => {
        const u = await consumeSignInLink(em, app, body.token);
        if (who) await bind(em, app, u, who);
        return u;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('这个平台账号已绑定本公司的另一位用户，请联系管理员');
      throw err;
    }
    app.actors.clear();
    const token = await app.tokens.sign({ userId: user.id, companyId: user.companyId });
    ctx.body = { token, user: { id: user.id, name: user.name, role: user.role, companyId: user.companyId } };
  });
  return r;
}

/** The channel a person is reached on: their platform when the company is bound to it, else the local console. */
function channelFor(app: AppContext, company: Company, user: User): ChannelKind {
  if (app.config.wecom && user.wecomUserId && company.wecomCorpId === app.config.wecom.corpId) return 'wecom';
  if (app.config.dingtalk && user.dingtalkUserId && company.dingtalkCorpId === app.config.dingtalk.corpId) return 'dingtalk';
  return 'local';
}

/** Admin: the first-run checklist, confirmations, a test alarm, sign-in links for users (docs/onboarding.md). */
export function onboardingRoutes(app: AppContext): Router {
  const r = new Router();
  const guard = allow('onboarding.view');

  r.get('/api/onboarding/checklist', guard, async (ctx) => {
    ctx.body = await checklistOf(app, actorOf(ctx).companyId);
  });

  r.post('/api/onboarding/confirm', guard, async (ctx) => {
    const a = actorOf(ctx);
    const { item } = parseInput(confirmSchema, ctx.request.body ?? {});
    const now = app.clock.now();
    await app.tx.run((em) =>
      new Audit(em, { companyId: a.companyId, actorId: a.id, requestId: requestIdOf(ctx), at: now }).changed(ONBOARDING_ENTITY, a.companyId, [
        { field: item, before: null, after: true },
      ]),
    );
    ctx.body = await checklistOf(app, a.companyId);
  });

  r.post('/api/onboarding/test-alarm', guard, async (ctx) => {
    const a = actorOf(ctx);
    const user = await app.ds.getRepository(User).findOneByOrFail({ id: a.id, companyId: a.companyId });
    const company = await app.ds.getRepository(Company).findOneByOrFail({ id: a.companyId });
    const channel = channelFor(app, company, user);
    const out = {
      kind: 'digest' as const,
      title: 'Lifeline 测试提醒',
      lines: ['这是一条测试提醒：你能看到它，说明逾期线索的提醒会送到这里。'],
      openUrl: `${app.config.publicUrl}/sidebar/`,
    };
    let result: { ok: boolean; channel: ChannelKind; reason: string | null };
    try {
      await app.channels()[channel].send(user, out, 1);
      result = { ok: true, channel, reason: null };
    } catch (err) {
      result = { ok: false, channel, reason: err instanceof DeliveryError ? err.reason : err instanceof Error ? err.message : String(err) };
    }
    const now = app.clock.now();
    await app.tx.run((em) =>
      new Audit(em, { companyId: a.companyId, actorId: a.id, requestId: requestIdOf(ctx), at: now }).changed(ONBOARDING_ENTITY, a.companyId, [
        { field: 'testAlarm', before: null, after: result },
      ]),
    );
    if (!result.ok) throw new AppError(502, 'delivery_failed', `测试提醒发送失败（${channel}）：${result.reason}`);
    ctx.body = { delivered: true, channel };
  });

  r.post('/api/users/:id/sign-in-link', guard, async (ctx) => {
    const a = actorOf(ctx);
    const id = idParam(ctx);
    const user = await app.ds.getRepository(User).findOneBy({ id, companyId: a.companyId });
    if (!user || user.deletedAt) throw notFound(`用户不存在（ID ${id}）`);
    if (!user.active) throw conflict('该用户已停用，不能为其生成登录链接');
    ctx.status = 201;
    ctx.body = await app.tx.run((em) => issueSignInLink(em, app, { companyId: a.companyId, userId: id, createdBy: a.id, requestId: requestIdOf(ctx) }));
  });
  return r;
}
