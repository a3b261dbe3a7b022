import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';

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
  /** WeCom external contacts queued for 离职继承 (0 without WeCom). */
  transfersQueued: number;
}

/**
 * Hands a leaver's open leads to the company's `directory.leaverTarget` and queues their WeCom customers for
 * 离职继承, inside the caller's transaction (the one that deactivates the user), so no lead is ever left owned by
 * an inactive user. Implemented in the people-administration work of issue 16.
 */
export async function handOverLeaver(em: EntityManager, app: AppContext, h: Handover): Promise<HandoverResult> {
  void em;
  void app;
  void h;
  throw new Error('handOverLeaver: not built yet');
}
