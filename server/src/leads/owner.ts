import type { EntityManager } from 'typeorm';
import type { Actor } from '../auth/actor';
import { badRequest, forbidden } from '../http/errors';
import { User } from '../users/user.entity';
import { forShare } from '../db/kind';

/** Who may be made owner by whom: reps take leads themselves; supervisors assign within their subtree. */
export async function resolveOwner(em: EntityManager, actor: Actor, ownerId: number): Promise<User> {
  if (actor.role === 'rep' && ownerId !== actor.id) throw forbidden('顾问只能把线索分配给自己');
  // A deactivation of the owner in flight holds their row: wait for it, so a lead is never handed to a user who just left.
  await em.query(`SELECT id FROM app_user WHERE id = ? AND companyId = ?${forShare(em)}`, [ownerId, actor.companyId]);
  const owner = await em.getRepository(User).findOneBy({ id: ownerId, companyId: actor.companyId });
  if (!owner || owner.deletedAt) throw badRequest(`负责人不存在（ID ${ownerId}）`);
  if (!owner.active) throw badRequest(`${owner.name} 已停用，不能接收线索`);
  if (owner.role !== 'rep' && owner.role !== 'supervisor') throw badRequest(`${owner.name} 不是顾问或主管，不能负责线索`);
  if (actor.scope && !actor.scope.userIds.includes(owner.id)) throw forbidden(`${owner.name} 不在你的团队内，不能分配给 TA`);
  return owner;
}
