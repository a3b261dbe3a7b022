import { In, type EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { badRequest, notFound } from '../http/errors';
import { diffFields, writeAudits, type AuditRecord } from '../audit/audit.service';
import { recordLeadChanges } from '../projector/outbox';
import { Lead } from '../leads/lead.entity';
import { Followup } from '../followups/followup.entity';
import { ContentQueueItem } from '../content/content.entities';
import { Customer } from './customer.entity';
import { forViewer } from './phone-visibility';

export interface MergeInput {
  keepId: number;
  mergeId: number;
  dryRun: boolean;
}

/** The kept customer's profile: its own values, gaps filled from the merged one, concerns and tags united. */
function mergedProfile(keep: Customer, other: Customer): Partial<Customer> {
  const pick = <K extends 'name' | 'city' | 'province' | 'grade' | 'carrier'>(k: K) => (keep[k] ? keep[k] : other[k]);
  return {
    name: pick('name'),
    city: pick('city'),
    province: pick('province'),
    grade: pick('grade'),
    carrier: pick('carrier'),
    concerns: [...new Set([...keep.concerns, ...other.concerns])],
    tags: [...new Set([...keep.tags, ...other.tags])],
  };
}

/**
 * Merges a duplicate customer into the one kept (the fix data health offers for probable duplicates). The preview says
 * what moves and how the kept profile changes; the merge moves the duplicate's leads, follow-ups and queued material to
 * the kept customer, fills its profile gaps, and soft-deletes the duplicate: one transaction, every change audited under
 * the request's id (undo can take it back). Nothing is deleted.
 */
export async function mergeCustomers(app: AppContext, actor: Actor, input: MergeInput, requestId?: string) {
  assertCan(actor, 'customer.delete');
  if (input.keepId === input.mergeId) throw badRequest('保留的客户和被合并的客户不能是同一个');
  const run = async (em: EntityManager) => {
    const now = app.clock.now();
    const lock = app.tx.kind === 'mysql' && !input.dryRun ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const both = await em.getRepository(Customer).find({ where: { companyId: actor.companyId, id: In([input.keepId, input.mergeId]) }, ...lock });
    const keep = both.find((c) => c.id === input.keepId && c.deletedAt === null);
    const other = both.find((c) => c.id === input.mergeId && c.deletedAt === null);
    if (!keep) throw notFound(`保留的客户不存在（ID ${input.keepId}）`);
    if (!other) throw notFound(`被合并的客户不存在或已删除（ID ${input.mergeId}）`);
    const leads = await em.getRepository(Lead).findBy({ companyId: actor.companyId, customerId: other.id });
    const followups = await em.getRepository(Followup).findBy({ companyId: actor.companyId, customerId: other.id });
    const queued = await em.getRepository(ContentQueueItem).findBy({ companyId: actor.companyId, customerId: other.id });
    const profile = diffFields(keep, mergedProfile(keep, other));
    const preview = {
      keep: { id: keep.id, name: keep.name, phone: keep.phone },
      merge: { id: other.id, name: other.name, phone: other.phone },
      moves: { leads: leads.length, followups: followups.length, contentQueue: queued.length },
      profileChanges: profile,
    };
    if (input.dryRun) return { dryRun: true, ...preview };
    const moved = (entity: string, ids: number[]): AuditRecord[] =>
      ids.map((entityId) => ({ entity, entityId, action: 'update', changes: [{ field: 'customerId', before: other.id, after: keep.id }] }));
    if (leads.length) await em.getRepository(Lead).update({ companyId: actor.companyId, customerId: other.id }, { customerId: keep.id, updatedAt: now });
    if (followups.length) await em.getRepository(Followup).update({ companyId: actor.companyId, customerId: other.id }, { customerId: keep.id });
    if (queued.length) await em.getRepository(ContentQueueItem).update({ companyId: actor.companyId, customerId: other.id }, { customerId: keep.id });
    if (profile.length)
      await em.getRepository(Customer).update({ id: keep.id }, { ...Object.fromEntries(profile.map((c) => [c.field, c.after])), updatedAt: now });
    await em.getRepository(Customer).update({ id: other.id }, { deletedAt: now, updatedAt: now });
    const records: AuditRecord[] = [
      ...moved(
        'lead',
        leads.map((l) => l.id),
      ),
      ...moved(
        'followup',
        followups.map((f) => f.id),
      ),
      ...moved(
        'content_queue',
        queued.map((q) => q.id),
      ),
      ...(profile.length ? [{ entity: 'customer', entityId: keep.id, action: 'update' as const, changes: profile }] : []),
      {
        entity: 'customer',
        entityId: other.id,
        action: 'delete',
        changes: [
          { field: 'deletedAt', before: null, after: now },
          { field: 'mergedInto', before: null, after: keep.id },
        ],
      },
    ];
    await writeAudits(em, [{ ctx: { companyId: actor.companyId, actorId: actor.id, requestId: requestId ?? null, at: now }, records }]);
    const keptLeads = await em.getRepository(Lead).findBy({ companyId: actor.companyId, customerId: keep.id });
    await recordLeadChanges(
      em,
      actor.companyId,
      keptLeads.map((l) => l.id),
      now,
    );
    return { dryRun: false, ...preview };
  };
  const result = input.dryRun ? await run(app.ds.manager) : await app.tx.run(run);
  return forViewer(actor, result);
}
