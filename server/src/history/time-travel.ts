import { In } from 'typeorm';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { forViewer } from '../customers/phone-visibility';
import { badRequest, notFound } from '../http/errors';
import { Lead } from '../leads/lead.entity';
import { canSeeLead } from '../leads/lead-scope';
import { User } from '../users/user.entity';
import { decode } from './undo-plan';
import { revertibleFor } from './revertible';

export const HISTORY_ENTITIES = ['customer', 'lead', 'followup'] as const;
export type HistoryEntity = (typeof HISTORY_ENTITIES)[number];

/** The leads whose visibility decides whether the caller may see this record's history. */
async function leadsBehind(app: AppContext, companyId: number, entity: HistoryEntity, id: number, record: Record<string, unknown>): Promise<Lead[]> {
  const repo = app.ds.getRepository(Lead);
  if (entity === 'lead') return repo.findBy({ companyId, id });
  if (entity === 'followup') return repo.findBy({ companyId, id: Number(record.leadId) });
  return repo.findBy({ companyId, customerId: id });
}

/**
 * A customer, lead or follow-up as it was at `at`: today's row with every audited change made after `at` taken back,
 * newest first, plus the list of those changes. A record created after `at` did not exist then.
 */
export async function recordAt(app: AppContext, actor: Actor, entity: HistoryEntity, id: number, at: number) {
  assertCan(actor, 'history.view');
  const em = app.ds.manager;
  const current = (await revertibleFor(em, entity)!.read(em, actor.companyId, [id], false)).get(id);
  if (!current) throw notFound(`记录不存在（${entity} ID ${id}）`);
  const leads = await leadsBehind(app, actor.companyId, entity, id, current);
  if (actor.scope && !leads.some((l) => canSeeLead(actor, l))) throw notFound(`记录不存在或无权查看（${entity} ID ${id}）`);
  if (at > app.clock.now()) throw badRequest('时间不能晚于现在');

  const since = decode(
    await em.query(
      "SELECT * FROM audit_log WHERE companyId = ? AND entity = ? AND entityId = ? AND at > ? AND action IN ('create', 'update', 'delete', 'restore') ORDER BY at, id",
      [actor.companyId, entity, id, at],
    ),
  );
  const record: Record<string, unknown> = { ...current };
  let existed = true;
  for (const change of [...since].reverse()) {
    if (change.field === '*') existed = false;
    else if (change.field in record) record[change.field] = change.before;
  }
  const actorIds = [...new Set(since.map((c) => c.actorId).filter((x): x is number => x !== null))];
  const names = new Map(
    (actorIds.length ? await app.ds.getRepository(User).findBy({ companyId: actor.companyId, id: In(actorIds) }) : []).map((u) => [u.id, u.name]),
  );
  return forViewer(actor, {
    entity,
    id,
    at,
    existed,
    record: existed ? record : null,
    changesSince: since.map((c) => ({
      at: c.at,
      actorId: c.actorId,
      actorName: c.actorId === null ? '系统' : (names.get(c.actorId) ?? null),
      action: c.action,
      field: c.field,
      before: c.before,
      after: c.after,
      operationId: c.requestId,
    })),
  });
}
