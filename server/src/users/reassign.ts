import type { ReassignBody } from './schemas';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { Audit } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { badRequest, notFound } from '../http/errors';
import { lockOpenLeads, moveLead } from './lead-moves';
import { queueCustomerTransfers } from './transfer-queue';
import { User } from './user.entity';

/**
 * 在职继承: an admin hands a member's open leads (all, or the listed ones) to another active rep or supervisor, each
 * move audited with the reason and shown in the lead's timeline, and, with `customers` and WeCom configured, queues
 * the member's WeCom customers for `externalcontact/transfer_customer` to the same person (the transfer worker lists
 * and sends them). Listed leads that are not the member's open leads are refused (400), so nothing moves by surprise.
 */
export async function reassign(app: AppContext, actor: Actor, fromId: number, body: ReassignBody, requestId?: string) {
  assertCan(actor, 'users.transfer');
  if (fromId === body.toUserId) throw badRequest('转出人和接收人不能是同一个人');
  return app.tx.run(async (em) => {
    const users = em.getRepository(User);
    const from = await users.findOneBy({ id: fromId, companyId: actor.companyId });
    if (!from || from.deletedAt) throw notFound(`用户不存在（ID ${fromId}）`);
    // The receiver's row is locked: a deactivation of them in flight waits, or we see it.
    const to = await users.findOne({
      where: { id: body.toUserId, companyId: actor.companyId },
      ...(app.tx.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!to || to.deletedAt) throw badRequest(`接收人不存在（ID ${body.toUserId}），请从用户列表中选择`);
    if (!to.active) throw badRequest(`${to.name} 已停用，不能接收线索和客户`);
    if (to.role !== 'rep' && to.role !== 'supervisor') throw badRequest(`${to.name} 不是顾问或主管，不能负责线索`);
    const only = body.leads === 'all' ? undefined : [...new Set(body.leads)];
    const leads = await lockOpenLeads(em, actor.companyId, from.id, only);
    if (only && leads.length !== only.length) {
      const missing = only.filter((id) => !leads.some((l) => l.id === id));
      throw badRequest(`这些线索不是${from.name}的未结束线索：ID ${missing.join('、')}，请刷新后重新选择`);
    }
    const now = app.clock.now();
    const reason = body.reason ?? '在职转接';
    for (const lead of leads) {
      await moveLead(
        em,
        app,
        lead,
        { kind: 'owner', owner: to, poolId: null, note: `${from.name} → ${to.name}` },
        {
          companyId: actor.companyId,
          actorId: actor.id,
          reason,
          requestId,
          at: now,
        },
      );
    }
    const company = await em.getRepository(Company).findOneByOrFail({ id: actor.companyId });
    const transfersQueued = body.customers
      ? await queueCustomerTransfers(em, app, company, {
          kind: 'on_job',
          handover: from,
          takeover: to,
          externalUserIds: 'all',
          reason,
          actorId: actor.id,
          at: now,
        })
      : 0;
    await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).write('app_user', from.id, 'update', [
      { field: 'reassign', before: null, after: { toUserId: to.id, leads: leads.map((l) => l.id), customers: body.customers, transfersQueued, reason } },
    ]);
    return {
      from: { id: from.id, name: from.name },
      to: { id: to.id, name: to.name },
      leads: leads.map((l) => l.id),
      moved: leads.length,
      transfersQueued,
      wecom: body.customers && transfersQueued === 0 ? '未转接企业微信客户：公司未配置企业微信客户联系，或转出人没有企业微信账号' : null,
    };
  }, 'users.reassign');
}
