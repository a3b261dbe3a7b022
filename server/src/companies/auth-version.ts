import type { EntityManager } from 'typeorm';

/**
 * Signed-in actors are cached per process for AUTH_CACHE_MS (role, org scope, company settings). Every API change
 * to what an actor is built from bumps a version in the same transaction; a process checks the versions on each
 * write request (one primary-key read, see auth.middleware.ts), so the change governs writes everywhere at once.
 */

/** After a change to the company's settings or org structure: every actor of the company is stale. */
export async function bumpCompanyAuthVersion(em: EntityManager, companyId: number): Promise<void> {
  await em.query('UPDATE company SET authVersion = authVersion + 1 WHERE id = ?', [companyId]);
}

/** After a change to a user's role, active flag, org unit or manager: their actor, and the company's scopes, are stale. */
export async function bumpUserAuthVersion(em: EntityManager, companyId: number, userId: number): Promise<void> {
  await em.query('UPDATE app_user SET authVersion = authVersion + 1 WHERE id = ? AND companyId = ?', [userId, companyId]);
  // Supervisors' scopes list the users of their units: a move or a role change changes them too.
  await bumpCompanyAuthVersion(em, companyId);
}
