import { In, IsNull, type EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import type { Company } from '../companies/company.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import { insertRowsPlain } from '../db/rows';
import { customerTransfersFor, type CustomerTransferClient } from './customer-transfers';
import { CustomerTransfer, type TransferKind } from './customer-transfer.entity';
import { User } from './user.entity';

/** The WeCom transfer client of a company: the test/bench override first, else the configured platform (or null). */
export function transfersClient(app: AppContext, company: Company): CustomerTransferClient | null {
  return app.platformOverrides?.transfers?.(company.id) ?? customerTransfersFor(app, company);
}

const usable = (u: User | null | undefined, not: number): u is User => !!u && u.active && u.deletedAt === null && u.id !== not;

/**
 * Who takes over a leaver's WeCom customers: the one person their leads went to, else the supervisor of their unit
 * (the nearest unit up the tree with an active supervisor), else null (the transfer is queued as failed and listed).
 */
export async function takeoverFor(em: EntityManager, companyId: number, leaver: User, newOwners: Set<number>): Promise<User | null> {
  if (newOwners.size === 1) {
    const only = await em.getRepository(User).findOneBy({ id: [...newOwners][0], companyId });
    if (usable(only, leaver.id)) return only;
  }
  const unit = leaver.orgUnitId ? await em.getRepository(OrgUnit).findOneBy({ id: leaver.orgUnitId, companyId }) : null;
  const ids = unit ? unit.path.split('/').filter(Boolean).map(Number).reverse() : [];
  const units = ids.length ? await em.getRepository(OrgUnit).findBy({ companyId, id: In(ids), deletedAt: IsNull() }) : [];
  for (const id of ids) {
    const supervisorId = units.find((u) => u.id === id)?.supervisorId;
    const sup = supervisorId ? await em.getRepository(User).findOneBy({ id: supervisorId, companyId }) : null;
    if (usable(sup, leaver.id)) return sup;
  }
  return null;
}

export interface TransferRequest {
  kind: TransferKind;
  handover: User;
  takeover: User | null;
  /** 'all': every contact of the handover member, listed by the worker (no platform call in a transaction). */
  externalUserIds: string[] | 'all';
  reason: string;
  actorId: number | null;
  at: number;
}

/**
 * Queues WeCom customer transfers in the caller's transaction, when the company has a WeCom transfer client and the
 * handover member a WeCom user id. A takeover without one (or none at all) is queued as failed, so the admin sees it
 * in GET /api/users/transfers?status=failed and can retry with another takeover. Returns the rows queued.
 */
export async function queueCustomerTransfers(em: EntityManager, app: AppContext, company: Company, r: TransferRequest): Promise<number> {
  if (!r.handover.wecomUserId || !transfersClient(app, company)) return 0;
  const ids = r.externalUserIds === 'all' ? [null] : [...new Set(r.externalUserIds)];
  if (!ids.length) return 0;
  const open = await em.getRepository(CustomerTransfer).findBy({
    companyId: company.id,
    kind: r.kind,
    handoverUserId: r.handover.id,
    status: In(['queued', 'sent', 'waiting']),
  });
  const fresh = ids.filter((id) => !open.some((o) => o.externalUserId === id && (r.kind === 'resigned' || o.takeoverUserId === r.takeover?.id)));
  const problem = !r.takeover
    ? '找不到接替人：所在组织没有在职主管，请指定接替人后重试'
    : !r.takeover.wecomUserId
      ? `接替人${r.takeover.name}没有企业微信账号，请在人员管理中填写后重试`
      : null;
  await insertRowsPlain(
    em,
    CustomerTransfer,
    fresh.map((externalUserId) => ({
      companyId: company.id,
      kind: r.kind,
      handoverUserId: r.handover.id,
      takeoverUserId: r.takeover?.id ?? 0,
      handoverPlatformId: r.handover.wecomUserId!,
      takeoverPlatformId: r.takeover?.wecomUserId ?? '',
      externalUserId,
      status: problem ? 'failed' : 'queued',
      attempts: 0,
      errcode: null,
      error: problem,
      reason: r.reason.slice(0, 64),
      nextAttemptAt: r.at,
      leaseOwner: null,
      leaseUntil: null,
      sentAt: null,
      doneAt: null,
      actorId: r.actorId,
      createdAt: r.at,
      updatedAt: r.at,
    })),
  );
  return fresh.length;
}
