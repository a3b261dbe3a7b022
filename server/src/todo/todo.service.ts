import { In, IsNull } from 'typeorm';
import { chinaDayOf, chinaDayStart, compareTodo, dayString, maskPhone, scoreLevelOf, todoEntry, type TodoItem } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { forbidden, notFound } from '../http/errors';
import { Lead } from '../leads/lead.entity';
import { applyLeadScope } from '../leads/lead-scope';
import { Customer } from '../customers/customer.entity';
import { canSeePhone } from '../customers/phone-visibility';
import { User } from '../users/user.entity';
import { companyAlarmSettings, leadAlarmState } from '../alarms/timers';
import type { TodoQuery } from './schemas';

const DAY = 86_400_000;

/**
 * 我的待办: every open lead of the caller that needs action now (a rep's own; a supervisor's team; ops, directors and
 * admins the company), each with why and how long, most urgent first (shared/src/todo.ts defines both).
 */
export async function listTodo(app: AppContext, actor: Actor, q: TodoQuery) {
  const now = app.clock.now();
  const endOfToday = chinaDayStart(dayString(chinaDayOf(now))) + DAY;
  if (q.repId !== undefined && actor.role === 'rep' && q.repId !== actor.id) throw forbidden('顾问只能查看自己的待办');
  if (q.repId !== undefined && actor.scope && !actor.scope.userIds.includes(q.repId)) throw forbidden('该顾问不在你的管理范围内');
  if (q.repId !== undefined && !(await app.ds.getRepository(User).existsBy({ id: q.repId, companyId: actor.companyId }))) {
    throw notFound(`顾问不存在（ID ${q.repId}）`);
  }

  const qb = app.ds.getRepository(Lead).createQueryBuilder('lead');
  applyLeadScope(qb, actor);
  qb.andWhere('lead.deletedAt IS NULL')
    .andWhere('lead.ownerId IS NOT NULL')
    .andWhere("lead.status IN ('assigned','following')")
    // What can need action: untouched leads (claim / first follow-up / 初三 warning) and next steps due by tonight.
    .andWhere('(lead.firstFollowupAt IS NULL OR lead.nextStepDueAt <= :endOfToday)', { endOfToday });
  if (actor.role === 'rep' || q.repId !== undefined) qb.andWhere('lead.ownerId = :owner', { owner: q.repId ?? actor.id });
  if (q.leadIds) qb.andWhere('lead.id IN (:...leadIds)', { leadIds: q.leadIds });
  const leads = await qb.getMany();

  const settings = await companyAlarmSettings(app.ds.manager, actor.companyId);
  const customers = await byId(app, Customer, actor.companyId, [...new Set(leads.map((l) => l.customerId))]);
  const entries = leads
    .map((lead) => {
      const c = customers.get(lead.customerId);
      const entry = todoEntry({ ...leadAlarmState(lead, c?.grade ?? null), score: lead.score }, settings, now, endOfToday);
      return entry && c ? { lead, c, entry } : null;
    })
    .filter((x): x is NonNullable<typeof x> => x !== null)
    .sort((a, b) => compareTodo({ ...a.entry, leadId: a.lead.id }, { ...b.entry, leadId: b.lead.id }));

  const shown = entries.slice(0, q.limit);
  const owners = await byId(app, User, actor.companyId, [...new Set(shown.map((e) => e.lead.ownerId!))]);
  const phones = canSeePhone(actor);
  const items: TodoItem[] = shown.map(({ lead, c, entry }) => ({
    ...entry,
    leadId: lead.id,
    customerId: c.id,
    customerName: c.name ?? maskPhone(c.phone),
    phone: phones ? c.phone : maskPhone(c.phone),
    grade: c.grade,
    city: c.city,
    channel: lead.channel,
    journeyNode: lead.journeyNode,
    score: lead.score,
    scoreLevel: scoreLevelOf(lead.score, actor.settings.levelA),
    ownerId: lead.ownerId!,
    ownerName: owners.get(lead.ownerId!)?.name ?? null,
    claimable: lead.status === 'assigned' && lead.claimedAt === null && lead.ownerId === actor.id,
    nextStepAction: lead.nextStepAction,
  }));
  return { items, total: entries.length, overdue: entries.filter((e) => e.entry.overdue).length, computedAt: now };
}

async function byId<T extends { id: number }>(app: AppContext, entity: new () => T, companyId: number, ids: number[]): Promise<Map<number, T>> {
  if (!ids.length) return new Map();
  const rows = (await app.ds.getRepository(entity).findBy({ companyId, id: In(ids), deletedAt: IsNull() } as never)) as T[];
  return new Map(rows.map((r) => [r.id, r]));
}
