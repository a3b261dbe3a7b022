import { In, type EntityManager } from 'typeorm';
import { journeyIndex, OVERDUE_HOURS, type LeadCreateBody, type LeadListQuery, type LeadUpdateBody } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { KEY_FIELD_ROLES } from '../auth/actor';
import { Audit, diffFields, type FieldChange } from '../audit/audit.service';
import { attachCustomer, customerName } from '../customers/customer.service';
import { Customer } from '../customers/customer.entity';
import type { CompanySettings } from '../companies/settings';
import { recordJourneyStep } from '../journey/journey-step';
import { User } from '../users/user.entity';
import { badRequest, conflict, forbidden, notFound } from '../http/errors';
import { Lead } from './lead.entity';
import { applyLeadScope, canSeeLead, canWriteLead } from './lead-scope';
import { leadView } from './lead.view';
import { resolveOwner } from './owner';
import { buildTimeline } from './timeline';
import { revenueOfLead } from '../integrations/external-facts';
import { scoreNow, scoreWith } from '../signals/score';
import { findById, insertRow } from '../db/rows';
import { assertCan, can } from '../auth/permissions';
import { forViewer } from '../customers/phone-visibility';

const CUSTOMER_FIELDS = ['name', 'city', 'province', 'grade', 'concerns', 'tags'] as const;

/**
 * The actor for leads that arrive without a person (intake API, ad-platform push): company-wide,
 * never an owner, and recorded as NULL (system) in audit rows and createdBy.
 */
export function systemActor(companyId: number, settings: CompanySettings): Actor {
  return { id: 0, companyId, role: 'ops', name: '系统（线索接入）', orgUnitId: null, settings, scope: null };
}

/** Extra work in the lead's own transaction (e.g. the intake archive), so both commit or neither does. */
interface CreateHooks {
  before?: (em: EntityManager) => Promise<void>;
  after?: (em: EntityManager, lead: Lead, customer: Customer, customerCreated: boolean) => Promise<void>;
}

/** The lead as read (or null), if the actor may see it; else the 404 that does not tell whether it exists. */
export function visibleLead(actor: Actor, id: number, lead: Lead | null | undefined, opts: { withDeleted?: boolean } = {}): Lead {
  if (!lead || !canSeeLead(actor, lead) || (lead.deletedAt !== null && !opts.withDeleted)) {
    throw notFound(`线索不存在或无权查看（ID ${id}）`);
  }
  return lead;
}

export class LeadService {
  constructor(private readonly app: AppContext) {}

  private audit(em: EntityManager, actor: Actor, requestId?: string) {
    return new Audit(em, { companyId: actor.companyId, actorId: actor.id || null, requestId, at: this.app.clock.now() });
  }

  async create(actor: Actor, body: LeadCreateBody, requestId?: string, hooks: CreateHooks = {}) {
    assertCan(actor, 'lead.create');
    const actorId = actor.id || null; // 0 = system actor
    const done = await this.app.tx.runRetryingUnique(async (em) => {
      await hooks.before?.(em);
      const now = this.app.clock.now();
      const audit = this.audit(em, actor, requestId);
      const ownerId = body.ownerId ?? (actor.role === 'rep' ? actor.id : null);
      const owner = ownerId !== null ? await resolveOwner(em, actor, ownerId) : null;
      const { customer, created } = await attachCustomer(em, audit, this.app.attribution, actor.companyId, actorId, body, now);
      const scored = scoreWith(actor.settings, { channel: body.channel, campaign: body.campaign }, customer, [], now);
      const lead = em.getRepository(Lead).create({
        companyId: actor.companyId,
        customerId: customer.id,
        channel: body.channel,
        campaign: body.campaign ?? null,
        ownerId: owner?.id ?? null,
        // Unassigned leads stay visible to the creator's team until routing places them.
        orgUnitId: owner?.orgUnitId ?? actor.orgUnitId,
        status: owner ? 'assigned' : 'pending',
        journeyNode: '线索获取',
        score: scored.score,
        scoreBreakdown: scored.breakdown,
        lostReason: null,
        createdAt: now,
        assignedAt: owner ? now : null,
        // A rep entering their own lead has it in hand already.
        claimedAt: owner && owner.id === actor.id ? now : null,
        firstFollowupAt: null,
        lastFollowupAt: null,
        signedAt: null,
        signedCourse: null,
        nextStepDueAt: null,
        nextStepAction: null,
        createdBy: actorId,
        updatedAt: now,
        deletedAt: null,
      });
      await insertRow(em, Lead, lead);
      await audit.created('lead', lead.id, lead);
      await recordJourneyStep(em, {
        companyId: actor.companyId,
        leadId: lead.id,
        fromNode: null,
        toNode: '线索获取',
        at: now,
        actorId,
        followupId: null,
        scriptId: null,
      });
      await hooks.after?.(em, lead, customer, created);
      const meta = { companyId: actor.companyId, actorId, at: now, requestId, companySettings: actor.settings };
      // A known customer's blanks may just have been filled: their other leads' facts follow.
      if (!created && customer.updatedAt === now) await this.app.events.emit(em, { type: 'customer.updated', customer, changes: [] }, meta);
      // Routing subscribes to lead.created and may assign the lead here, in this transaction.
      await this.app.events.emit(em, { type: 'lead.created', lead, customer, customerCreated: created }, meta);
      if (owner) await this.app.events.emit(em, { type: 'lead.assigned', lead, fromOwnerId: null }, meta);
      return { lead, customer, created, now, ownerName: owner?.name ?? null };
    }, 'lead.create');
    // The name of an owner chosen by routing is read after commit, not while the pool's cursor is locked.
    const { lead, customer, created, now } = done;
    const ownerName = done.ownerName ?? (lead.ownerId !== null ? ((await this.userNames([lead.ownerId])).get(lead.ownerId) ?? null) : null);
    return {
      lead: leadView(actor, lead, customer, ownerName, now),
      customerCreated: created,
      attachedToExisting: !created,
    };
  }

  async list(actor: Actor, q: LeadListQuery) {
    const now = this.app.clock.now();
    const qb = this.app.ds.getRepository(Lead).createQueryBuilder('lead').innerJoin(Customer, 'c', 'c.id = lead.customerId');
    applyLeadScope(qb, actor);
    if (q.deleted) {
      if (!can(actor, 'lead.keyFields')) throw forbidden('只有主管或管理员可以查看回收站');
      qb.andWhere('lead.deletedAt IS NOT NULL');
    } else {
      qb.andWhere('lead.deletedAt IS NULL');
    }
    if (q.owner !== undefined && q.owner !== 'me') {
      // An owner named by id must be one of the company's people: another company's id is a 404, not an empty list.
      const owner = await this.app.ds.getRepository(User).findOneBy({ id: q.owner, companyId: actor.companyId });
      if (!owner) throw notFound(`负责人不存在（ID ${q.owner}）`);
    }
    if (q.owner !== undefined) qb.andWhere('lead.ownerId = :owner', { owner: q.owner === 'me' ? actor.id : q.owner });
    if (q.status) qb.andWhere('lead.status = :status', { status: q.status });
    if (q.node) qb.andWhere('lead.journeyNode = :node', { node: q.node });
    if (q.channel) qb.andWhere('lead.channel = :channel', { channel: q.channel });
    if (q.city) qb.andWhere('c.city = :city', { city: q.city });
    if (q.grade) qb.andWhere('c.grade = :grade', { grade: q.grade });
    if (q.overdue !== undefined) {
      const cutoff = now - OVERDUE_HOURS * 3600_000;
      const overdueSql = `(lead.firstFollowupAt IS NULL AND lead.status IN ('pending','assigned') AND lead.createdAt <= :cutoff)`;
      qb.andWhere(q.overdue ? overdueSql : `NOT ${overdueSql}`, { cutoff });
    }
    const total = await qb.getCount();
    const leads = await qb
      .orderBy('lead.createdAt', 'DESC')
      .addOrderBy('lead.id', 'DESC')
      .skip((q.page - 1) * q.pageSize)
      .take(q.pageSize)
      .getMany();
    const [customers, owners] = await Promise.all([
      this.customersById(
        actor.companyId,
        leads.map((l) => l.customerId),
      ),
      this.userNames(
        leads.map((l) => l.ownerId),
        actor.companyId,
      ),
    ]);
    return {
      items: leads.map((l) => leadView(actor, l, customers.get(l.customerId) ?? null, owners.get(l.ownerId ?? 0) ?? null, now)),
      page: q.page,
      pageSize: q.pageSize,
      total,
    };
  }

  /** A lead the actor may see, or 404 (not 403: we do not confirm that other people's leads exist). */
  async findVisible(em: EntityManager, actor: Actor, id: number, opts: { withDeleted?: boolean; lock?: boolean } = {}) {
    return visibleLead(actor, id, await findById(em, Lead, id, { lock: opts.lock }), opts);
  }

  async get(actor: Actor, id: number) {
    const em = this.app.ds.manager;
    const lead = await this.findVisible(em, actor, id, { withDeleted: KEY_FIELD_ROLES.includes(actor.role) });
    const customer = await em.getRepository(Customer).findOneBy({ id: lead.customerId, companyId: actor.companyId });
    const owners = await this.userNames([lead.ownerId, lead.coOwnerId], actor.companyId);
    const now = this.app.clock.now();
    return {
      ...leadView(actor, lead, customer, owners.get(lead.ownerId ?? 0) ?? null, now),
      coOwnerName: lead.coOwnerId === null ? null : (owners.get(lead.coOwnerId) ?? null),
      revenue: await revenueOfLead(em, actor.companyId, lead.id),
      timeline: forViewer(actor, await buildTimeline(em, lead)),
    };
  }

  async update(actor: Actor, id: number, body: LeadUpdateBody, requestId?: string) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const lead = await this.findVisible(em, actor, id, { lock: true });
      if (!canWriteLead(actor, lead)) throw forbidden('你只能查看这条线索，不能修改');
      const touchesKeyFields = body.ownerId !== undefined || body.status !== undefined || body.lostReason !== undefined;
      if (touchesKeyFields) assertCan(actor, 'lead.keyFields');
      const audit = this.audit(em, actor, requestId);
      const customer = await em.getRepository(Customer).findOneByOrFail({ id: lead.customerId, companyId: actor.companyId });

      // Customer attributes (grade, concerns…) live on the customer, shared by all their leads.
      const customerPatch = Object.fromEntries(
        CUSTOMER_FIELDS.filter((f) => body[f] !== undefined).map((f) => [f, f === 'name' ? customerName(body[f]) : body[f]]),
      ) as Partial<Customer>;
      const customerChanges = diffFields(customer, customerPatch);
      if (customerChanges.length) {
        const patch = { ...toPatch<Customer>(customerChanges), updatedAt: now };
        await em.getRepository(Customer).update({ id: customer.id }, patch);
        await audit.changed('customer', customer.id, customerChanges);
        Object.assign(customer, patch);
        await this.app.events.emit(
          em,
          { type: 'customer.updated', customer, changes: customerChanges },
          { companyId: actor.companyId, actorId: actor.id, at: now, requestId, companySettings: actor.settings },
        );
      }

      const { leadPatch, ownerName: newOwnerName } = await this.leadPatchOf(em, actor, lead, customer, body, customerChanges.length > 0, now);
      let ownerName = newOwnerName;
      const leadChanges = diffFields(lead, leadPatch);
      // Customer-only edits (e.g. tags) are announced too, as `customer.<field>`, so content-by-tag can react.
      const eventChanges = [...leadChanges, ...customerChanges.map((c) => ({ ...c, field: `customer.${c.field}` }))];
      if (!leadChanges.length && customerChanges.length) {
        await this.app.events.emit(
          em,
          { type: 'lead.updated', lead, changes: eventChanges },
          { companyId: actor.companyId, actorId: actor.id, at: now, requestId, companySettings: actor.settings },
        );
      }
      if (leadChanges.length) {
        const fromOwnerId = lead.ownerId;
        const fromNode = lead.journeyNode;
        const patch = { ...toPatch<Lead>(leadChanges), updatedAt: now };
        await em.getRepository(Lead).update({ id: lead.id }, patch);
        // The reason rides beside the owner change (same time and request): the timeline shows 分配给 X（原因）.
        const ownerMoved = leadChanges.some((c) => c.field === 'ownerId');
        await audit.changed(
          'lead',
          lead.id,
          ownerMoved && body.assignReason ? [...leadChanges, { field: 'moveReason', before: null, after: body.assignReason }] : leadChanges,
        );
        Object.assign(lead, patch);
        if (lead.journeyNode !== fromNode) {
          // A stage set by hand is a journey step like any other: time, operator, no follow-up.
          await recordJourneyStep(em, {
            companyId: actor.companyId,
            leadId: lead.id,
            fromNode,
            toNode: lead.journeyNode,
            at: now,
            actorId: actor.id,
            followupId: null,
            scriptId: null,
          });
        }
        const meta = { companyId: actor.companyId, actorId: actor.id, at: now, requestId, companySettings: actor.settings };
        await this.app.events.emit(em, { type: 'lead.updated', lead, changes: eventChanges }, meta);
        if (leadChanges.some((c) => c.field === 'ownerId') && lead.ownerId !== null) {
          await this.app.events.emit(em, { type: 'lead.assigned', lead, fromOwnerId }, meta);
        }
      }
      if (ownerName === null) ownerName = (await this.userNames([lead.ownerId])).get(lead.ownerId ?? 0) ?? null;
      return {
        lead: leadView(actor, lead, customer, ownerName, now),
        changed: [...customerChanges, ...leadChanges].map((c) => c.field),
      };
    }, 'lead.update');
  }

  /** The lead's side of an update (owner, status, stage, channel, score); refuses what the actor may not do. */
  private async leadPatchOf(
    em: EntityManager,
    actor: Actor,
    lead: Lead,
    customer: Customer,
    body: LeadUpdateBody,
    customerChanged: boolean,
    now: number,
  ): Promise<{ leadPatch: Partial<Lead>; ownerName: string | null }> {
    const leadPatch: Partial<Lead> = {};
    if (body.channel !== undefined) leadPatch.channel = body.channel;
    if (body.campaign !== undefined) leadPatch.campaign = body.campaign;
    if (body.lostReason !== undefined) leadPatch.lostReason = body.lostReason;
    if (body.status !== undefined) leadPatch.status = body.status;
    if (body.journeyNode !== undefined && body.journeyNode !== lead.journeyNode) {
      if (body.journeyNode === '签约转化') throw badRequest('签约请通过跟进动作「已签约」记录，不能直接改阶段');
      const backwards = journeyIndex(body.journeyNode) < journeyIndex(lead.journeyNode);
      if (backwards && !can(actor, 'lead.keyFields')) throw forbidden('只有主管或管理员可以把线索退回到更早的阶段');
      leadPatch.journeyNode = body.journeyNode;
    }
    if ((body.status ?? lead.status) === 'lost' && !(body.lostReason ?? lead.lostReason)) {
      throw badRequest('标记为流失时请填写流失原因（lostReason）');
    }
    let ownerName: string | null = null;
    if (body.ownerId !== undefined && body.ownerId !== lead.ownerId) {
      if (body.ownerId === null) {
        Object.assign(leadPatch, { ownerId: null, assignedAt: null, claimedAt: null, status: body.status ?? 'pending' });
      } else {
        const owner = await resolveOwner(em, actor, body.ownerId);
        ownerName = owner.name;
        Object.assign(leadPatch, {
          ownerId: owner.id,
          orgUnitId: owner.orgUnitId,
          assignedAt: now,
          claimedAt: null,
          status: body.status ?? (lead.status === 'pending' ? 'assigned' : lead.status),
        });
      }
    }
    if (body.coOwnerId !== undefined && body.coOwnerId !== lead.coOwnerId) await this.coOwnerPatch(em, actor, lead, body.coOwnerId, leadPatch);
    // A new owner who was the co-owner is the owner now: one person is not both.
    if (leadPatch.ownerId != null && leadPatch.ownerId === (leadPatch.coOwnerId !== undefined ? leadPatch.coOwnerId : lead.coOwnerId))
      leadPatch.coOwnerId = null;
    // Any scored fact may have changed: recomputing is cheap, and unchanged scores write nothing.
    if (body.channel !== undefined || body.campaign !== undefined || customerChanged) {
      const facts = { channel: leadPatch.channel ?? lead.channel, campaign: leadPatch.campaign !== undefined ? leadPatch.campaign : lead.campaign };
      const scored = await scoreNow(em, actor.settings, { ...facts, id: lead.id, companyId: lead.companyId }, customer, now);
      leadPatch.score = scored.score;
      leadPatch.scoreBreakdown = scored.breakdown;
    }
    return { leadPatch, ownerName };
  }

  /** 双人协同: supervisors and admins name a co-owner (an active rep or supervisor they may assign to), or remove them. */
  private async coOwnerPatch(em: EntityManager, actor: Actor, lead: Lead, coOwnerId: number | null, patch: Partial<Lead>) {
    if (!can(actor, 'lead.keyFields')) throw forbidden('只有主管或管理员可以设置协同人');
    if (coOwnerId === null) {
      patch.coOwnerId = null;
      return;
    }
    const co = await em.getRepository(User).findOneBy({ id: coOwnerId, companyId: actor.companyId });
    if (!co || co.deletedAt) throw badRequest(`协同人不存在（ID ${coOwnerId}）`);
    if (!co.active) throw badRequest(`${co.name} 已停用，不能做协同人`);
    if (co.role !== 'rep' && co.role !== 'supervisor') throw badRequest(`${co.name} 不是顾问或主管，不能做协同人`);
    if (actor.scope && !actor.scope.userIds.includes(co.id)) throw forbidden(`${co.name} 不在你的团队内，不能设为协同人`);
    const owner = patch.ownerId !== undefined ? patch.ownerId : lead.ownerId;
    if (co.id === owner) throw badRequest(`${co.name} 已是这条线索的负责人，不能同时做协同人`);
    patch.coOwnerId = co.id;
  }

  /** The owner takes the lead in hand (one tap); the unclaimed-lead escalation stops here. */
  async claim(actor: Actor, id: number, requestId?: string) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const lead = await this.findVisible(em, actor, id, { lock: true });
      if (lead.ownerId !== actor.id) throw forbidden('只有这条线索的负责人可以认领');
      if (lead.claimedAt !== null) return { id, claimedAt: lead.claimedAt, alreadyClaimed: true };
      await em.getRepository(Lead).update({ id }, { claimedAt: now, updatedAt: now });
      await this.audit(em, actor, requestId).changed('lead', id, [{ field: 'claimedAt', before: null, after: now }]);
      Object.assign(lead, { claimedAt: now, updatedAt: now });
      await this.app.events.emit(
        em,
        { type: 'lead.claimed', lead },
        { companyId: actor.companyId, actorId: actor.id, at: now, requestId, companySettings: actor.settings },
      );
      return { id, claimedAt: now, alreadyClaimed: false };
    }, 'lead.claim');
  }

  async remove(actor: Actor, id: number, requestId?: string) {
    return this.setDeleted(actor, id, true, requestId);
  }

  async restore(actor: Actor, id: number, requestId?: string) {
    return this.setDeleted(actor, id, false, requestId);
  }

  /** Soft delete and restore: the row, its follow-ups and its customer stay; nothing cascades. */
  private async setDeleted(actor: Actor, id: number, deleted: boolean, requestId?: string) {
    assertCan(actor, 'lead.delete');
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const lead = await this.findVisible(em, actor, id, { withDeleted: true, lock: true });
      if (!canWriteLead(actor, lead)) throw forbidden(deleted ? '你只能查看这条线索，不能删除' : '你只能查看这条线索，不能恢复');
      if (deleted && lead.deletedAt !== null) throw conflict('这条线索已在回收站中');
      if (!deleted && lead.deletedAt === null) throw conflict('这条线索未被删除，无需恢复');
      const deletedAt = deleted ? now : null;
      await em.getRepository(Lead).update({ id }, { deletedAt, updatedAt: now });
      await this.audit(em, actor, requestId).changed(
        'lead',
        id,
        [{ field: 'deletedAt', before: lead.deletedAt, after: deletedAt }],
        deleted ? 'delete' : 'restore',
      );
      Object.assign(lead, { deletedAt, updatedAt: now });
      await this.app.events.emit(
        em,
        { type: deleted ? 'lead.deleted' : 'lead.restored', lead },
        { companyId: actor.companyId, actorId: actor.id, at: now, requestId },
      );
      return { id, deletedAt };
    }, 'lead.delete');
  }

  private async customersById(companyId: number, ids: number[]) {
    const unique = [...new Set(ids)];
    const rows = unique.length ? await this.app.ds.getRepository(Customer).findBy({ companyId, id: In(unique) }) : [];
    return new Map(rows.map((c) => [c.id, c]));
  }

  /** Names of users by id (`companyId` given: only that company's users). */
  async userNames(ids: (number | null)[], companyId?: number) {
    const unique = [...new Set(ids.filter((i): i is number => i !== null))];
    const rows = unique.length
      ? await this.app.ds.getRepository(User).find({ select: { id: true, name: true }, where: { id: In(unique), ...(companyId ? { companyId } : {}) } })
      : [];
    return new Map(rows.map((u) => [u.id, u.name]));
  }
}

function toPatch<T>(changes: FieldChange[]): Partial<T> {
  return Object.fromEntries(changes.map((c) => [c.field, c.after])) as Partial<T>;
}
