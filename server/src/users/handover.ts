import type { EntityManager } from 'typeorm';
import { DEFAULT_PROTECTIVE } from '@lifeline/shared/src/routing';
import type { AppContext } from '../context';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';
import { RoutingPool } from '../routing/routing.entities';
import { latestRuleSet, pickInPool } from '../routing/engine';
import { lockOpenLeads, moveLead, poolOf, type MoveTarget } from './lead-moves';
import { queueCustomerTransfers, takeoverFor } from './transfer-queue';
import { User } from './user.entity';

/** Why a user's open leads are handed on: shown in each lead's timeline and the audit. */
export interface Handover {
  companyId: number;
  /** The user who leaves (deactivated by an admin or by a directory sync) or whose customers an admin moves. */
  userId: number;
  /** Who did it: an admin's id, or null for the directory sync. */
  actorId: number | null;
  /** Chinese reason for the timeline, e.g. 「企业微信通讯录：已离职」 or 「管理员停用」. */
  reason: string;
  requestId?: string;
  at: number;
}

export interface HandoverResult {
  /** Open leads moved (to a new owner or onto the rotation queue). */
  leads: number;
  /**
   * WeCom transfer rows queued for 离职继承 (0 without WeCom). The leaver's contacts are listed by the transfer worker
   * (no platform call inside a transaction), so this is 1 for "all of them", not the number of contacts.
   */
  transfersQueued: number;
}

/**
 * Hands a leaver's open leads to the company's `directory.leaverTarget` and queues their WeCom customers for
 * 离职继承, inside the caller's transaction (the one that deactivates the user), so no lead is ever left owned by
 * an inactive user:
 * - 'queue': each lead goes back to its unit's rotation queue (no owner, status pending), where the unit's supervisor
 *   assigns it (GET /api/routing/queue); the lead keeps its unit, so the supervisor's scope covers it.
 * - 'round_robin': each lead goes to the next eligible member of the leaver's routing pool (weighted round robin from
 *   the pool's cursor, skipping inactive, off-shift and capped members, never the leaver); no one eligible → the queue.
 * Each move is audited with the reason, shown in the lead's timeline, and recorded as a routing decision; the lead
 * events put it in the outbox, so its alarm timers and reminders are re-derived for the new owner.
 */
export async function handOverLeaver(em: EntityManager, app: AppContext, h: Handover): Promise<HandoverResult> {
  const company = await em.getRepository(Company).findOneByOrFail({ id: h.companyId });
  const leaver = await em.getRepository(User).findOneBy({ id: h.userId, companyId: h.companyId });
  if (!leaver) return { leads: 0, transfersQueued: 0 };
  const settings = effectiveSettings(company.settings);
  const leads = await lockOpenLeads(em, h.companyId, leaver.id);
  const pool = await poolOf(em, h.companyId, leaver);
  const rules = settings.directory.leaverTarget === 'round_robin' && pool ? await latestRuleSet(em, h.companyId) : null;
  const protective = rules?.body.protective ?? DEFAULT_PROTECTIVE;
  const owners = new Set<number>();
  for (const lead of leads) {
    let target: MoveTarget | null = null;
    let note = pool ? `进入「${pool.name}」的轮转队列，由主管分配` : '离职人员不在任何线索池，进入所在组织的轮转队列，由主管分配';
    if (settings.directory.leaverTarget === 'round_robin' && pool) {
      const pick = await pickInPool(app, em, h.companyId, pool, lead.score, h.at, true, protective, [leaver.id]);
      if (pick.cursorAfter !== pick.cursorBefore) {
        await em.getRepository(RoutingPool).update({ id: pool.id }, { rrCursor: pick.cursorAfter, updatedAt: h.at });
        pool.rrCursor = pick.cursorAfter;
      }
      if (pick.owner) target = { kind: 'owner', owner: pick.owner, poolId: pool.id, note: `「${pool.name}」轮转：${pick.chosen}`, skipped: pick.skipped };
      else note = pick.note ?? note;
    }
    target ??= { kind: 'queue', orgUnitId: lead.orgUnitId ?? leaver.orgUnitId ?? pool?.orgUnitId ?? null, poolId: pool?.id ?? null, note };
    if (target.kind === 'owner') owners.add(target.owner.id);
    await moveLead(em, app, lead, target, { companyId: h.companyId, actorId: h.actorId, reason: h.reason, requestId: h.requestId, at: h.at });
  }
  const takeover = await takeoverFor(em, h.companyId, leaver, owners);
  const transfersQueued = await queueCustomerTransfers(em, app, company, {
    kind: 'resigned',
    handover: leaver,
    takeover,
    externalUserIds: 'all',
    reason: h.reason,
    actorId: h.actorId,
    at: h.at,
  });
  return { leads: leads.length, transfersQueued };
}
