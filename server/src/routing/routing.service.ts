import { In, type EntityManager } from 'typeorm';
import { scoreLevelOf, describeScore, parsePhone } from '@lifeline/shared';
import type { DryRunInput, PoolInput, RuleSetInput } from '@lifeline/shared/src/routing';
import { DEFAULT_PROTECTIVE } from '@lifeline/shared/src/routing';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import type { EventMeta } from '../events/domain-events';
import { badRequest, conflict, notFound } from '../http/errors';
import { isUniqueViolation } from '../db/tx';
import { Customer } from '../customers/customer.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import { Lead } from '../leads/lead.entity';
import type { LeadService } from '../leads/leads.service';
import { User } from '../users/user.entity';
import { OPEN_STATUSES, latestRuleSet, planRoute, type Plan } from './engine';
import { RoutingDecision, RoutingPool, RoutingPoolMember, RoutingRuleSet } from './routing.entities';
import { scoreWith } from '../signals/score';
import { assertCan } from '../auth/permissions';
import { Experiments } from './experiments';
import { insertRowsPlain } from '../db/rows';

function requireAdmin(actor: Actor) {
  assertCan(actor, 'routing.configure');
}

export class RoutingService {
  constructor(
    private readonly app: AppContext,
    private readonly leads: LeadService,
    readonly experiments: Experiments = new Experiments(app),
  ) {}

  /** Routing reacts to lead events in their transaction: new unowned leads are placed; reassignments logged. */
  subscribe(): void {
    this.app.events.on(async (em, emitted) => {
      for (const { event, meta } of emitted) {
        if (event.type === 'lead.created' && event.lead.ownerId === null && event.lead.status === 'pending' && event.lead.deletedAt === null) {
          await this.routeNew(em, event.lead, event.customer, meta);
        } else if (event.type === 'lead.updated' && meta.actorId !== null) {
          const change = event.changes.find((c) => c.field === 'ownerId');
          if (change) await this.logManual(em, event.lead, change.before as number | null, meta);
        }
      }
    });
  }

  private async routeNew(em: EntityManager, lead: Lead, customer: Customer, meta: EventMeta): Promise<void> {
    const plan = await planRoute(this.app, em, lead.companyId, factsOf(lead, customer), meta.at, true, lead.id);
    const audit = new Audit(em, { companyId: lead.companyId, actorId: meta.actorId, requestId: meta.requestId, at: meta.at });
    if (plan.pool && plan.cursorAfter !== plan.cursorBefore) {
      await em.getRepository(RoutingPool).update({ id: plan.pool.id }, { rrCursor: plan.cursorAfter!, updatedAt: meta.at });
    }
    let patch: Partial<Lead> = {};
    if (plan.outcome === 'assigned') {
      patch = { ownerId: plan.owner!.id, orgUnitId: plan.owner!.orgUnitId, status: 'assigned', assignedAt: meta.at };
    } else if (plan.outcome === 'queued') {
      // The pool's unit: its supervisor sees the lead in the rotation queue.
      patch = { orgUnitId: plan.pool!.orgUnitId };
    }
    const co = plan.coOwnerId ? await coOwnerFor(em, lead.companyId, plan.coOwnerId, patch.ownerId ?? lead.ownerId) : null;
    if (co) {
      patch.coOwnerId = co.id;
      plan.reasons.note = `${plan.reasons.note ? `${plan.reasons.note}；` : ''}双人协同：${co.name} 为协同人`;
    }
    const changes = diffFields(lead, patch);
    if (changes.length) {
      await em.getRepository(Lead).update({ id: lead.id }, { ...patch, updatedAt: meta.at });
      await audit.changed('lead', lead.id, changes);
      Object.assign(lead, patch, { updatedAt: meta.at });
    }
    await this.insertDecision(em, lead, plan, 'auto', meta);
    if (plan.outcome === 'assigned') {
      await this.app.events.emit(em, { type: 'lead.assigned', lead, fromOwnerId: null }, meta);
    }
  }

  private async logManual(em: EntityManager, lead: Lead, fromOwnerId: number | null, meta: EventMeta) {
    const names = await em
      .getRepository(User)
      .findBy({ companyId: lead.companyId, id: In([fromOwnerId, lead.ownerId, meta.actorId].filter((x): x is number => x !== null)) });
    const nameOf = (id: number | null) => (id === null ? '无' : (names.find((u) => u.id === id)?.name ?? `#${id}`));
    const plan: Plan = {
      ruleSetVersion: null,
      ruleIndex: null,
      ruleName: null,
      pool: null,
      ownerId: lead.ownerId,
      owner: null,
      outcome: lead.ownerId === null ? 'unrouted' : 'assigned',
      cursorBefore: null,
      cursorAfter: null,
      reasons: { score: lead.score, rule: `${nameOf(meta.actorId)} 手动分配：${nameOf(fromOwnerId)} → ${nameOf(lead.ownerId)}`, skipped: [] },
    };
    await this.insertDecision(em, lead, plan, 'manual', meta);
  }

  private async insertDecision(em: EntityManager, lead: Lead, plan: Plan, kind: 'auto' | 'manual', meta: EventMeta) {
    await em.getRepository(RoutingDecision).insert({
      companyId: lead.companyId,
      leadId: lead.id,
      kind,
      autoKey: kind === 'auto' ? 'auto' : null,
      ruleSetVersion: plan.ruleSetVersion,
      ruleIndex: plan.ruleIndex,
      ruleName: plan.ruleName,
      poolId: plan.pool?.id ?? null,
      ownerId: plan.ownerId,
      outcome: plan.outcome,
      cursorBefore: plan.cursorBefore,
      cursorAfter: plan.cursorAfter,
      reasons: plan.reasons,
      actorId: meta.actorId,
      at: meta.at,
      requestId: meta.requestId ?? null,
      experimentId: plan.experimentId ?? null,
      arm: plan.arm ?? null,
    });
  }

  // ---- read side ----

  async decisionsFor(actor: Actor, leadId: number) {
    const lead = await this.leads.findVisible(this.app.ds.manager, actor, leadId, { withDeleted: true });
    const rows = await this.app.ds
      .getRepository(RoutingDecision)
      .find({ where: { companyId: actor.companyId, leadId: lead.id }, order: { at: 'ASC', id: 'ASC' } });
    const pools = await this.poolNames(
      actor.companyId,
      rows.map((r) => r.poolId),
    );
    const owners = await this.leads.userNames(
      rows.map((r) => r.ownerId),
      actor.companyId,
    );
    return {
      leadId: lead.id,
      items: rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        outcome: r.outcome,
        at: r.at,
        ruleSetVersion: r.ruleSetVersion,
        rule: r.ruleIndex === null ? null : { index: r.ruleIndex, name: r.ruleName },
        pool: r.poolId === null ? null : { id: r.poolId, name: pools.get(r.poolId) ?? null },
        owner: r.ownerId === null ? null : { id: r.ownerId, name: owners.get(r.ownerId) ?? null },
        cursor: r.cursorBefore === null ? null : { before: r.cursorBefore, after: r.cursorAfter },
        reasons: r.reasons,
        experiment: r.experimentId === null ? null : { id: r.experimentId, arm: r.arm },
        actorId: r.actorId,
        requestId: r.requestId,
      })),
    };
  }

  /** "Where would this lead go, and why" — the same planner, no lock, nothing written, cursor untouched. */
  async dryRun(actor: Actor, input: DryRunInput) {
    let city = input.city ?? null;
    let province = input.province ?? null;
    if (input.phone) {
      const p = parsePhone(input.phone);
      if (!p.valid) throw badRequest(`手机号：${p.error}`);
      const existing = await this.app.ds.getRepository(Customer).findOneBy({ companyId: actor.companyId, phone: p.normalized });
      const attr = this.app.attribution.lookup(p.normalized);
      city = city ?? existing?.city ?? attr.city;
      province = province ?? existing?.province ?? attr.province;
    }
    const scored = scoreWith(
      actor.settings,
      { channel: input.channel },
      { grade: input.grade, concerns: input.concerns, city, province, tags: [] },
      [],
      this.app.clock.now(),
    );
    const plan = await planRoute(
      this.app,
      this.app.ds.manager,
      actor.companyId,
      {
        city,
        province,
        grade: input.grade ?? null,
        channel: input.channel,
        score: scored.score,
      },
      this.app.clock.now(),
      false,
    );
    return {
      facts: { city, province, grade: input.grade ?? null, channel: input.channel },
      score: {
        score: scored.score,
        level: scoreLevelOf(scored.score, actor.settings.levelA),
        breakdown: scored.breakdown,
        explanation: describeScore(scored.breakdown),
      },
      outcome: plan.outcome,
      ruleSetVersion: plan.ruleSetVersion,
      rule: plan.ruleIndex === null ? null : { index: plan.ruleIndex, name: plan.ruleName },
      pool: plan.pool ? { id: plan.pool.id, name: plan.pool.name } : null,
      owner: plan.owner ? { id: plan.owner.id, name: plan.owner.name } : null,
      cursor: plan.cursorBefore === null ? null : { current: plan.cursorBefore, afterAssign: plan.cursorAfter },
      reasons: plan.reasons,
    };
  }

  // ---- rule sets ----

  async rules(actor: Actor) {
    const em = this.app.ds.manager;
    const current = await latestRuleSet(em, actor.companyId);
    const versions = await em.getRepository(RoutingRuleSet).find({
      where: { companyId: actor.companyId },
      order: { version: 'DESC' },
      select: { version: true, createdAt: true, createdBy: true },
    });
    return {
      current: current
        ? { version: current.version, ...current.body, protective: current.body.protective ?? DEFAULT_PROTECTIVE, createdAt: current.createdAt }
        : null,
      versions,
    };
  }

  async ruleVersion(actor: Actor, version: number) {
    const row = await this.app.ds.getRepository(RoutingRuleSet).findOneBy({ companyId: actor.companyId, version });
    if (!row) throw notFound(`分配规则版本 v${version} 不存在`);
    return { version: row.version, ...row.body, createdAt: row.createdAt, createdBy: row.createdBy };
  }

  /** Saving rules always makes a new version; old versions stay, so past decisions stay explainable. */
  async saveRules(actor: Actor, input: RuleSetInput, requestId?: string) {
    requireAdmin(actor);
    for (const [i, r] of input.rules.entries()) {
      if (r.minScore !== undefined && r.maxScore !== undefined && r.minScore > r.maxScore) {
        throw badRequest(`第${i + 1}条规则「${r.name}」：最低评分不能高于最高评分`);
      }
    }
    const poolIds = [...new Set([input.defaultPoolId, ...input.rules.map((r) => r.poolId)])];
    const pools = await this.app.ds.getRepository(RoutingPool).findBy({ companyId: actor.companyId, id: In(poolIds) });
    const live = new Set(pools.filter((p) => p.deletedAt === null).map((p) => p.id));
    const missing = poolIds.filter((id) => !live.has(id));
    if (missing.length) throw badRequest(`线索池不存在：ID ${missing.join('、')}，请先创建线索池`);
    const coOwners = [...new Set(input.rules.flatMap((r) => (r.coOwnerId ? [r.coOwnerId] : [])))];
    const found = coOwners.length ? await this.app.ds.getRepository(User).findBy({ companyId: actor.companyId, id: In(coOwners), active: true }) : [];
    const absent = coOwners.filter((id) => !found.some((u) => u.id === id && !u.deletedAt && (u.role === 'rep' || u.role === 'supervisor')));
    if (absent.length) throw badRequest(`协同人不存在、已停用或不是顾问/主管：ID ${absent.join('、')}`);
    if (input.holdout && !(await latestRuleSet(this.app.ds.manager, actor.companyId))) throw badRequest('第一版分配规则没有可对照的旧版本，不能开启 A/B 测试');
    const body = { rules: input.rules, defaultPoolId: input.defaultPoolId, protective: input.protective ?? DEFAULT_PROTECTIVE };
    try {
      return await this.app.tx.runRetryingUnique(async (em) => {
        const now = this.app.clock.now();
        const latest = await latestRuleSet(em, actor.companyId);
        const row = em.getRepository(RoutingRuleSet).create({
          companyId: actor.companyId,
          version: (latest?.version ?? 0) + 1,
          body,
          createdBy: actor.id,
          createdAt: now,
        });
        await em.getRepository(RoutingRuleSet).insert(row);
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('routing_rule_set', row.id, row);
        const experimentId = await this.experiments.onRulesSaved(em, actor, row.version, latest?.version ?? null, input.holdout, requestId);
        return { version: row.version, ...body, createdAt: now, experimentId };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('分配规则刚被其他人修改，请刷新后重试');
      throw err;
    }
  }

  // ---- pools ----

  async pools(actor: Actor) {
    const em = this.app.ds.manager;
    const pools = await em.getRepository(RoutingPool).find({ where: { companyId: actor.companyId }, order: { id: 'ASC' } });
    const live = pools.filter((p) => p.deletedAt === null);
    const members = live.length
      ? await em
          .getRepository(RoutingPoolMember)
          .find({ where: { companyId: actor.companyId, poolId: In(live.map((p) => p.id)) }, order: { position: 'ASC', id: 'ASC' } })
      : [];
    const users = members.length ? await em.getRepository(User).findBy({ companyId: actor.companyId, id: In(members.map((m) => m.userId)) }) : [];
    const loads: { ownerId: number; n: string | number }[] = members.length
      ? await em.query(
          `SELECT ownerId, COUNT(*) AS n FROM \`lead\` WHERE companyId = ? AND status IN (${OPEN_STATUSES.map(() => '?').join(',')}) AND deletedAt IS NULL
             AND ownerId IN (${members.map(() => '?').join(',')}) GROUP BY ownerId`,
          [actor.companyId, ...OPEN_STATUSES, ...members.map((m) => m.userId)],
        )
      : [];
    const load = new Map(loads.map((l) => [Number(l.ownerId), Number(l.n)]));
    const queued = await this.queueCounts(actor.companyId);
    return {
      items: live.map((p) => ({
        id: p.id,
        name: p.name,
        orgUnitId: p.orgUnitId,
        cursor: p.rrCursor,
        queued: queued.get(p.id) ?? 0,
        members: members
          .filter((m) => m.poolId === p.id)
          .map((m) => {
            const u = users.find((x) => x.id === m.userId);
            return {
              userId: m.userId,
              name: u?.name ?? null,
              active: !!u?.active,
              weight: m.weight,
              cap: m.cap,
              shifts: m.shifts,
              openLeads: load.get(m.userId) ?? 0,
            };
          }),
      })),
    };
  }

  async createPool(actor: Actor, input: PoolInput, requestId?: string) {
    requireAdmin(actor);
    await this.checkPoolInput(actor, input);
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const pool = em
        .getRepository(RoutingPool)
        .create({ companyId: actor.companyId, name: input.name, orgUnitId: input.orgUnitId, rrCursor: 0, createdAt: now, updatedAt: now, deletedAt: null });
      await em.getRepository(RoutingPool).insert(pool);
      await this.writeMembers(em, actor.companyId, pool.id, input);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('routing_pool', pool.id, {
        ...pool,
        members: input.members,
      });
      return { id: pool.id, name: pool.name, orgUnitId: pool.orgUnitId, members: input.members };
    });
  }

  async updatePool(actor: Actor, id: number, input: PoolInput, requestId?: string) {
    requireAdmin(actor);
    await this.checkPoolInput(actor, input);
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const qb = em
        .getRepository(RoutingPool)
        .createQueryBuilder('p')
        .where('p.id = :id AND p.companyId = :c AND p.deletedAt IS NULL', { id, c: actor.companyId });
      if (this.app.tx.kind === 'mysql') qb.setLock('pessimistic_write');
      const pool = await qb.getOne();
      if (!pool) throw notFound(`线索池不存在（ID ${id}）`);
      const before = await em
        .getRepository(RoutingPoolMember)
        .find({ where: { companyId: actor.companyId, poolId: id }, order: { position: 'ASC', id: 'ASC' } });
      const beforeMembers = before.map((m) => ({ userId: m.userId, weight: m.weight, cap: m.cap, shifts: m.shifts }));
      const changes = diffFields(
        { name: pool.name, orgUnitId: pool.orgUnitId, members: beforeMembers },
        { name: input.name, orgUnitId: input.orgUnitId, members: input.members },
      );
      if (changes.length) {
        await em.getRepository(RoutingPool).update({ id }, { name: input.name, orgUnitId: input.orgUnitId, updatedAt: now });
        await em.getRepository(RoutingPoolMember).delete({ poolId: id });
        await this.writeMembers(em, actor.companyId, id, input);
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('routing_pool', id, changes);
      }
      return { id, name: input.name, orgUnitId: input.orgUnitId, members: input.members, changed: changes.map((c) => c.field) };
    });
  }

  private async writeMembers(em: EntityManager, companyId: number, poolId: number, input: PoolInput) {
    if (!input.members.length) return;
    await insertRowsPlain(
      em,
      RoutingPoolMember,
      input.members.map((m, i) => ({
        companyId,
        poolId,
        userId: m.userId,
        weight: m.weight,
        cap: m.cap,
        shifts: m.shifts,
        position: i,
      })),
    );
  }

  private async checkPoolInput(actor: Actor, input: PoolInput) {
    const unit = await this.app.ds.getRepository(OrgUnit).findOneBy({ id: input.orgUnitId, companyId: actor.companyId });
    if (!unit || unit.deletedAt) throw badRequest(`组织单元不存在（ID ${input.orgUnitId}）`);
    const ids = input.members.map((m) => m.userId);
    const users = ids.length ? await this.app.ds.getRepository(User).findBy({ companyId: actor.companyId, id: In(ids) }) : [];
    for (const id of ids) {
      const u = users.find((x) => x.id === id);
      if (!u || u.deletedAt) throw badRequest(`成员不存在（用户 ID ${id}）`);
      if (u.role !== 'rep' && u.role !== 'supervisor') throw badRequest(`${u.name} 不是顾问或主管，不能加入线索池`);
    }
  }

  private async poolNames(companyId: number, ids: (number | null)[]) {
    const unique = [...new Set(ids.filter((i): i is number => i !== null))];
    const rows = unique.length ? await this.app.ds.getRepository(RoutingPool).findBy({ companyId, id: In(unique) }) : [];
    return new Map(rows.map((p) => [p.id, p.name]));
  }

  // ---- rotation queue ----

  private async queueCounts(companyId: number) {
    const rows: { poolId: number; n: string | number }[] = await this.app.ds.query(
      `SELECT d.poolId AS poolId, COUNT(*) AS n FROM routing_decision d JOIN \`lead\` l ON l.id = d.leadId
        WHERE d.companyId = ? AND ${QUEUED} AND l.ownerId IS NULL AND l.status = 'pending' AND l.deletedAt IS NULL
        GROUP BY d.poolId`,
      [companyId],
    );
    return new Map(rows.map((r) => [Number(r.poolId), Number(r.n)]));
  }

  /** Leads the router parked for a supervisor: still unowned, in the caller's scope, oldest first. */
  async queue(actor: Actor) {
    assertCan(actor, 'routing.queue');
    const params: unknown[] = [actor.companyId];
    let scopeSql = '';
    if (actor.scope) {
      if (!actor.scope.unitIds.length) return { items: [] };
      scopeSql = ` AND l.orgUnitId IN (${actor.scope.unitIds.map(() => '?').join(',')})`;
      params.push(...actor.scope.unitIds);
    }
    const rows: {
      leadId: number;
      decisionId: number;
      poolId: number | null;
      at: number | string;
      score: number;
      name: string | null;
      grade: string | null;
      city: string | null;
      channel: string;
    }[] = await this.app.ds.query(
      `SELECT l.id AS leadId, d.id AS decisionId, d.poolId AS poolId, d.at AS at, l.score AS score, c.name AS name, c.grade AS grade, c.city AS city,
              l.channel AS channel
         FROM routing_decision d JOIN \`lead\` l ON l.id = d.leadId JOIN customer c ON c.id = l.customerId
        WHERE d.companyId = ? AND ${QUEUED} AND l.ownerId IS NULL AND l.status = 'pending'
          AND l.deletedAt IS NULL${scopeSql} ORDER BY d.at ASC, l.id ASC LIMIT 200`,
      params,
    );
    const pools = await this.poolNames(
      actor.companyId,
      rows.map((r) => (r.poolId === null ? null : Number(r.poolId))),
    );
    const decisions = rows.length
      ? await this.app.ds.getRepository(RoutingDecision).findBy({ companyId: actor.companyId, id: In(rows.map((r) => Number(r.decisionId))) })
      : [];
    return {
      items: rows.map((r) => {
        const d = decisions.find((x) => x.id === Number(r.decisionId));
        return {
          leadId: Number(r.leadId),
          score: Number(r.score),
          queuedAt: Number(r.at),
          customerName: r.name ?? '未命名客户',
          grade: r.grade,
          city: r.city,
          channel: r.channel,
          // A leaver's lead may be queued outside any pool (the leaver was in none): their unit's supervisor assigns it.
          pool: r.poolId === null ? null : { id: Number(r.poolId), name: pools.get(Number(r.poolId)) ?? null },
          why: d?.reasons.note ?? null,
        };
      }),
    };
  }

  /** A supervisor takes a lead off the rotation queue and gives it to a rep (audited through the lead update). */
  async assignFromQueue(actor: Actor, leadId: number, ownerId: number, requestId?: string, reason?: string) {
    assertCan(actor, 'routing.assign');
    const lead = await this.leads.findVisible(this.app.ds.manager, actor, leadId);
    if (lead.ownerId !== null) throw conflict('这条线索已有负责人，不在轮转队列中；如需改派请修改负责人');
    return this.leads.update(actor, leadId, { ownerId, ...(reason ? { assignReason: reason } : {}) }, requestId);
  }
}

/**
 * The decision that put a lead on the rotation queue: routing's automatic one, or a later hand-over (a leaver's leads,
 * users/lead-moves.ts); only the newest queued decision of a lead counts, so a lead is listed once.
 */
const QUEUED = `d.outcome = 'queued' AND NOT EXISTS (SELECT 1 FROM routing_decision d2 WHERE d2.leadId = d.leadId AND d2.outcome = 'queued' AND d2.id > d.id)`;

/** A rule's co-owner, if they can take the lead now: an active rep or supervisor of the company who is not its owner. */
async function coOwnerFor(em: EntityManager, companyId: number, userId: number, ownerId: number | null): Promise<User | null> {
  if (userId === ownerId) return null;
  const u = await em.getRepository(User).findOneBy({ id: userId, companyId });
  return u && u.active && !u.deletedAt && (u.role === 'rep' || u.role === 'supervisor') ? u : null;
}

function factsOf(lead: Lead, customer: Customer) {
  return { city: customer.city, province: customer.province, grade: customer.grade, channel: lead.channel, score: lead.score };
}
