import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { Audit } from '../audit/audit.service';
import { insertRow } from '../db/rows';
import { AppError } from '../http/errors';
import { User } from '../users/user.entity';
import { SignInLink } from './sign-in-link.entity';

/** How long a sign-in link works (it works once). */
export const LINK_TTL_MS = 24 * 3600_000;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** The address an admin opens: the sidebar's dashboard, which trades `signin` for a session (miniapp/src/lib/platform.ts). */
export function signInUrl(app: AppContext, token: string): string {
  return `${app.config.publicUrl.replace(/\/$/, '')}/sidebar/?signin=${token}#/pages/dashboard/index`;
}

/** A new one-time link for `userId`, in the caller's transaction (audited; the token is returned once, never stored). */
export async function issueSignInLink(
  em: EntityManager,
  app: AppContext,
  a: { companyId: number; userId: number; createdBy: number | null; requestId?: string },
) {
  const token = randomBytes(24).toString('base64url');
  const now = app.clock.now();
  const row = Object.assign(new SignInLink(), {
    companyId: a.companyId,
    userId: a.userId,
    tokenHash: hashOf(token),
    expiresAt: now + LINK_TTL_MS,
    usedAt: null,
    createdBy: a.createdBy,
    createdAt: now,
  });
  await insertRow(em, SignInLink, row);
  await new Audit(em, { companyId: a.companyId, actorId: a.createdBy, requestId: a.requestId, at: now }).created('sign_in_link', row.id, {
    userId: a.userId,
    expiresAt: row.expiresAt,
  });
  return { token, url: signInUrl(app, token), expiresAt: row.expiresAt };
}

const gone = (message: string) => new AppError(401, 'link_used', message);

/**
 * Trades a link for its user, once: the conditional UPDATE (usedAt IS NULL, not expired) decides, so two openings at
 * the same moment give one session. Unknown, used or expired → 401, each with what to do next.
 */
export async function consumeSignInLink(em: EntityManager, app: AppContext, token: string): Promise<User> {
  const now = app.clock.now();
  const link = await em.getRepository(SignInLink).findOneBy({ tokenHash: hashOf(token) });
  if (!link) throw new AppError(401, 'unauthorized', '登录链接无效，请向管理员索取新的登录链接');
  const r = await em
    .createQueryBuilder()
    .update(SignInLink)
    .set({ usedAt: now })
    .where('id = :id AND usedAt IS NULL AND expiresAt > :now', { id: link.id, now })
    .execute();
  if (!r.affected) {
    throw gone(
      link.usedAt !== null || link.expiresAt > now
        ? '这个登录链接已经用过了，请向管理员索取新的登录链接'
        : '登录链接已过期（24 小时有效），请向管理员索取新的登录链接',
    );
  }
  const user = await em.getRepository(User).findOneBy({ id: link.userId, companyId: link.companyId });
  if (!user || !user.active || user.deletedAt) throw new AppError(403, 'forbidden', '该账号已停用，无法登录');
  await new Audit(em, { companyId: link.companyId, actorId: user.id, at: now }).changed('sign_in_link', link.id, [
    { field: 'usedAt', before: null, after: now },
  ]);
  return user;
}
