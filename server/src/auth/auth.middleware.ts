import type { Context, Next } from 'koa';
import type { DataSource } from 'typeorm';
import { unauthorized } from '../http/errors';
import { User } from '../users/user.entity';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';
import { resolveScope, type Actor } from './actor';
import type { TokenService } from './token';
import type { ActorCache } from './actor-cache';
import { userStates } from './user-state';

const DEACTIVATED = '账号已停用或不存在，请联系管理员';
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Bearer token → active user of an existing company → ctx.state.actor.
 *
 * A signed-in actor is reused for AUTH_CACHE_MS. Reads use it as is (a deactivation or role change reaches them
 * within that time). A write re-checks the user row first (a primary-key read joined to the company's version, shared
 * by the writes that arrive while one is in flight, see user-state.ts):
 * a deactivated or deleted user is refused at once, and an actor built before a role, org or settings change made
 * through the API (in any process: the versions live in the rows) is rebuilt before the write runs.
 */
export function requireAuth(ds: DataSource, tokens: TokenService, cache?: ActorCache) {
  return async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw unauthorized('请先登录（缺少 Authorization: Bearer 令牌）');
    // Keyed by the token itself: a hit also skips the signature check (an expiry is at most TTL late).
    const key = m[1];
    const cached = cache?.get(key);
    if (cached && (READS.has(ctx.method) || (await stillCurrent(ds, cache!, key, cached)))) {
      ctx.state.actor = { ...cached };
      ctx.state.user = { id: cached.id };
      return next();
    }
    const claims = await tokens.verify(m[1]);
    if (!claims) throw unauthorized('登录已失效，请重新登录');
    const user = await ds.getRepository(User).findOneBy({ id: claims.userId, companyId: claims.companyId });
    if (!user || !user.active || user.deletedAt) throw unauthorized(DEACTIVATED);
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
      versions: { user: user.authVersion, company: company.authVersion },
    };
    cache?.set(key, actor);
    ctx.state.actor = { ...actor };
    ctx.state.user = { id: user.id };
    await next();
  };
}

/**
 * Before a write with a cached actor: is the user still active, and was nothing it was built from changed since?
 * Refuses a deactivated user (401); a stale actor is dropped (false: the caller rebuilds it). When the company's
 * version moved, every cached actor of this process may be stale (settings, scopes), so the cache is cleared.
 */
async function stillCurrent(ds: DataSource, cache: ActorCache, key: string, actor: Actor): Promise<boolean> {
  const state = await userStates(ds).get(actor.id, actor.companyId);
  if (!state || !state.active || state.deleted) {
    cache.delete(key);
    throw unauthorized(DEACTIVATED);
  }
  if (state.companyVersion !== actor.versions?.company) {
    cache.clear();
    return false;
  }
  if (state.userVersion !== actor.versions?.user) {
    cache.delete(key);
    return false;
  }
  return true;
}

export function actorOf(ctx: Context): Actor {
  const a = ctx.state.actor as Actor | undefined;
  if (!a) throw unauthorized();
  return a;
}
