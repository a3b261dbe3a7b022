import { In } from 'typeorm';
import type { TransferListQuery, TransferRetryBody } from './schemas';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { Audit } from '../audit/audit.service';
import { badRequest, notFound } from '../http/errors';
import { CustomerTransfer } from './customer-transfer.entity';
import { User } from './user.entity';

const KIND_LABEL = { resigned: '离职继承', on_job: '在职继承' } as const;

/** WeCom customer transfers of the company, newest first (status=failed: what the admin must act on). */
export async function listTransfers(app: AppContext, actor: Actor, q: TransferListQuery) {
  assertCan(actor, 'users.transfer');
  if (q.userId !== undefined && !(await app.ds.getRepository(User).existsBy({ id: q.userId, companyId: actor.companyId }))) {
    throw notFound(`用户不存在（ID ${q.userId}）`);
  }
  const where = { companyId: actor.companyId, ...(q.status ? { status: q.status } : {}), ...(q.userId ? { handoverUserId: q.userId } : {}) };
  const repo = app.ds.getRepository(CustomerTransfer);
  const [rows, total] = await repo.findAndCount({ where, order: { createdAt: 'DESC', id: 'DESC' }, skip: (q.page - 1) * q.pageSize, take: q.pageSize });
  const ids = [...new Set(rows.flatMap((r) => [r.handoverUserId, r.takeoverUserId]))];
  const users = ids.length
    ? await app.ds.getRepository(User).find({ select: { id: true, name: true }, where: { companyId: actor.companyId, id: In(ids) } })
    : [];
  const who = (id: number) => (id ? { id, name: users.find((u) => u.id === id)?.name ?? null } : null);
  return {
    items: rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      kindLabel: KIND_LABEL[r.kind],
      handover: who(r.handoverUserId),
      takeover: who(r.takeoverUserId),
      externalUserId: r.externalUserId,
      status: r.status,
      attempts: r.attempts,
      errcode: r.errcode,
      error: r.error,
      reason: r.reason,
      nextAttemptAt: r.nextAttemptAt,
      sentAt: r.sentAt,
      doneAt: r.doneAt,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    })),
    page: q.page,
    pageSize: q.pageSize,
    total,
  };
}

/**
 * Puts failed transfers back in the queue (the listed ones, else every failed one), optionally to another takeover
 * user: each row is sent again by the worker's next tick. Audited per row.
 */
export async function retryTransfers(app: AppContext, actor: Actor, body: TransferRetryBody, requestId?: string) {
  assertCan(actor, 'users.transfer');
  return app.tx.run(async (em) => {
    const repo = em.getRepository(CustomerTransfer);
    const rows = await repo.find({
      where: { companyId: actor.companyId, ...(body.ids ? { id: In(body.ids) } : { status: 'failed' as const }) },
      order: { id: 'ASC' },
    });
    if (body.ids) {
      const missing = body.ids.filter((id) => !rows.some((r) => r.id === id));
      if (missing.length) throw notFound(`客户转接记录不存在（ID ${missing.join('、')}）`);
      const notFailed = rows.filter((r) => r.status !== 'failed');
      if (notFailed.length) throw badRequest(`只有失败的转接可以重试：ID ${notFailed.map((r) => r.id).join('、')} 不是失败状态`);
    }
    let takeover: User | null = null;
    if (body.takeoverUserId !== undefined) {
      takeover = await em.getRepository(User).findOneBy({ id: body.takeoverUserId, companyId: actor.companyId });
      if (!takeover || takeover.deletedAt) throw badRequest(`接替人不存在（ID ${body.takeoverUserId}），请从用户列表中选择`);
      if (!takeover.active) throw badRequest(`${takeover.name} 已停用，不能接替客户`);
      if (!takeover.wecomUserId) throw badRequest(`${takeover.name} 没有企业微信账号，请先在人员管理中填写`);
    }
    const now = app.clock.now();
    const audit = new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now });
    const current = takeover ? null : await currentTakeovers(app, actor.companyId, rows);
    for (const r of rows) {
      const to = takeover ?? current!.get(r.takeoverUserId) ?? null;
      const patch = {
        status: 'queued' as const,
        attempts: 0,
        errcode: null,
        error: null,
        nextAttemptAt: now,
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
        ...(to ? { takeoverUserId: to.id, takeoverPlatformId: to.wecomUserId ?? '' } : {}),
      };
      if (!patch.takeoverPlatformId && !r.takeoverPlatformId) {
        throw badRequest(`转接记录 ${r.id} 没有可用的接替人（需要在职且有企业微信账号），请在重试时指定 takeoverUserId`);
      }
      await repo.update({ id: r.id }, patch);
      await audit.changed('customer_transfer', r.id, [
        { field: 'status', before: r.status, after: 'queued' },
        ...(to && to.id !== r.takeoverUserId ? [{ field: 'takeoverUserId', before: r.takeoverUserId, after: to.id }] : []),
      ]);
    }
    return { retried: rows.length, ids: rows.map((r) => r.id) };
  });
}

/** The takeover users of rows as they are now (their WeCom id may have been filled in since). */
async function currentTakeovers(app: AppContext, companyId: number, rows: CustomerTransfer[]) {
  const ids = [...new Set(rows.map((r) => r.takeoverUserId).filter((id) => id > 0))];
  const users = ids.length ? await app.ds.getRepository(User).findBy({ companyId, id: In(ids) }) : [];
  return new Map(users.filter((u) => u.active && !u.deletedAt && u.wecomUserId).map((u) => [u.id, u]));
}
