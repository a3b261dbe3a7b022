import Router from '@koa/router';
import type { AppContext } from '../context';
import { parseInput } from '../http/validate';
import { AppError, forbidden } from '../http/errors';
import { User } from '../users/user.entity';
import { wecomUserIdFromCode } from '../platforms/wecom/oauth';
import { dingtalkUserIdFromCode } from '../platforms/dingtalk/login';
import type { SidebarPlatforms } from './platform-clients';
import { dingtalkLoginSchema, wecomLoginSchema } from './schemas';

/**
 * Platform sign-in for the sidebar: a WeCom OAuth code or DingTalk auth code → the platform userid → the app_user
 * with that id → the same session token dev-login issues.
 */
export function sidebarLoginRoutes(app: AppContext, platforms: SidebarPlatforms): Router {
  const r = new Router();

  r.get('/api/sidebar/config', (ctx) => {
    ctx.body = {
      demo: app.config.demo,
      wecom: app.config.wecom ? { corpId: app.config.wecom.corpId, agentId: app.config.wecom.agentId } : null,
      dingtalk: app.config.dingtalk ? { clientId: app.config.dingtalk.appKey, corpId: app.config.dingtalk.corpId ?? null } : null,
      voice: { serverTranscription: !!app.config.llm?.asrModel, llmDraft: !!app.config.llm },
    };
  });

  r.post('/api/auth/wecom', async (ctx) => {
    const { code } = parseInput(wecomLoginSchema, ctx.request.body ?? {});
    const { api } = platforms.requireWecom();
    const wecomUserId = await wecomUserIdFromCode(api, code);
    ctx.body = await sessionFor(app, { wecomUserId }, '企业微信');
  });

  r.post('/api/auth/dingtalk', async (ctx) => {
    const { authCode } = parseInput(dingtalkLoginSchema, ctx.request.body ?? {});
    const dingtalkUserId = await dingtalkUserIdFromCode(platforms.requireDingtalk(), authCode);
    ctx.body = await sessionFor(app, { dingtalkUserId }, '钉钉');
  });
  return r;
}

async function sessionFor(app: AppContext, where: { wecomUserId: string } | { dingtalkUserId: string }, platform: string) {
  const users = await app.ds.getRepository(User).find({ where, take: 2 });
  const live = users.filter((u) => u.active && !u.deletedAt);
  if (live.length === 0) throw forbidden(`你的${platform}账号还没有开通 Lifeline，请联系管理员在用户资料中绑定`);
  if (live.length > 1) throw new AppError(409, 'ambiguous_user', `你的${platform}账号绑定了多个企业的用户，请联系管理员`);
  const user = live[0];
  const token = await app.tokens.sign({ userId: user.id, companyId: user.companyId });
  return { token, user: { id: user.id, name: user.name, role: user.role, companyId: user.companyId } };
}
