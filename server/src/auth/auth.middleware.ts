import type { Context, Next } from 'koa';
import type { DataSource } from 'typeorm';
import { unauthorized } from '../http/errors';
import { User } from '../users/user.entity';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';
import { resolveScope, type Actor } from './actor';
import type { TokenService } from './token';
import type { ActorCache } from './actor-cache';

/** Bearer token → active user of an existing company → ctx.state.actor. */
export function requireAuth(ds: DataSource, tokens: TokenService, cache?: ActorCache) {
  return async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw unauthorized('请先登录（缺少 Authorization: Bearer 令牌）');
    // Keyed by the token itself: a hit also skips the signature check (an expiry is at most TTL late).
    const key = m[1];
    const cached = cache?.get(key);
    if (cached) {
      ctx.state.actor = { ...cached };
      ctx.state.user = { id: cached.id };
      return next();
    }
    const claims = await tokens.verify(m[1]);
    if (!claims) throw unauthorized('登录已失效，请重新登录');
    const user = await ds.getRepository(User).findOneBy({ id: claims.userId, companyId: claims.companyId });
    if (!user || !user.active || user.deletedAt) throw unauthorized('账号已停用或不存在，请联系管理员');
    const company = await ds.getRepository(Company).findOneBy({ id: user.companyId });
    if (!company) throw unauthorized('企业不存在');
    const actor: Actor = {
      id: user.id,
      companyId: user.companyId,
      role: user.role,
      name: user.name,
      orgUnitId: user.orgUnitId,
      settings: effectiveSettings(company.settings),
      scope: await resolveScope(ds.manager, user),
    };
    cache?.set(key, actor);
    ctx.state.actor = { ...actor };
    ctx.state.user = { id: user.id };
    await next();
  };
}

export function actorOf(ctx: Context): Actor {
  const a = ctx.state.actor as Actor | undefined;
  if (!a) throw unauthorized();
  return a;
}
