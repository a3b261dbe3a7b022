import { In, type EntityManager } from 'typeorm';
import {
  DEFAULT_PROTECTIVE,
  SKIP_REASON_LABELS,
  ineligibility,
  matchRule,
  pickFromCursor,
  smoothWeightedSequence,
  type LeadFacts,
  type MemberState,
  type PoolMemberRule,
  type ProtectiveThreshold,
  type RuleSetBody,
  type SkipReason,
  armOf,
  type Arm,
} from '@lifeline/shared/src/routing';
import { OPEN_LEAD_STATUSES } from '@lifeline/shared';
import type { AppContext } from '../context';
import { User } from '../users/user.entity';
import { forShare } from '../db/kind';
import { RoutingExperiment, RoutingPool, RoutingPoolMember, RoutingRuleSet, type DecisionReasons } from './routing.entities';

/** Statuses that count as a rep's open load (caps and the protective threshold). */
export const OPEN_STATUSES = OPEN_LEAD_STATUSES;

export interface Plan {
  ruleSetVersion: number | null;
  /** Set when the lead was routed inside an A/B test of rule versions (experiments.ts). */
  experimentId?: number | null;
  arm?: Arm | null;
  /** The matched rule's KA co-owner (双人协同), applied by routing when the person can take it. */
  coOwnerId?: number | null;
  ruleIndex: number | null;
  ruleName: string | null;
  pool: RoutingPool | null;
  ownerId: number | null;
  owner: User | null;
  outcome: 'assigned' | 'queued' | 'unrouted';
  cursorBefore: number | null;
  cursorAfter: number | null;
  reasons: DecisionReasons;
}

export async function latestRuleSet(em: EntityManager, companyId: number): Promise<RoutingRuleSet | null> {
  return em.getRepository(RoutingRuleSet).findOne({ where: { companyId }, order: { version: 'DESC' } });
}

/**
 * Works out where a lead goes: rule → pool → weighted round robin over eligible members.
 * With `lock`, the pool row is locked (MySQL `FOR UPDATE`; SQLite serialises transactions) and the
 * load counts are locking reads, so concurrent intake sees every assignment committed before it.
 * Writes nothing: the caller applies the plan (or shows it, for a dry run).
 */
export async function planRoute(
  app: AppContext,
  em: EntityManager,
  companyId: number,
  facts: LeadFacts,
  at: number,
  lock: boolean,
  leadId?: number,
): Promise<Plan> {
  const reasons: DecisionReasons = { score: facts.score, rule: '', skipped: [] };
  const latest = await latestRuleSet(em, companyId);
  const empty = { ruleSetVersion: null, ruleIndex: null, ruleName: null, pool: null, ownerId: null, owner: null, cursorBefore: null, cursorAfter: null };
  if (!latest) {
    reasons.rule = '尚未配置分配规则';
    return { ...empty, outcome: 'unrouted', reasons };
  }
  const { set, experimentId, arm, note } = await ruleSetForLead(em, latest, leadId);
  const body: RuleSetBody = { ...set.body, protective: set.body.protective ?? DEFAULT_PROTECTIVE };
  const match = matchRule(body, facts);
  reasons.rule = `${match.reason}（规则版本 v${set.version}${note}）`;
  const base = {
    ...empty,
    ruleSetVersion: set.version,
    ruleIndex: match.index,
    ruleName: match.rule?.name ?? '默认线索池',
    experimentId,
    arm,
    coOwnerId: match.rule?.coOwnerId ?? null,
  };

  const pool = await em.getRepository(RoutingPool).findOneBy({ id: match.poolId, companyId });
  if (!pool || pool.deletedAt !== null) {
    reasons.note = `线索池（ID ${match.poolId}）不存在或已删除，线索保持待分配`;
    return { ...base, outcome: 'unrouted', reasons };
  }
  reasons.pool = pool.name;
  const pick = await pickInPool(app, em, companyId, pool, facts.score, at, lock, body.protective);
  Object.assign(reasons, { skipped: pick.skipped, ...(pick.note ? { note: pick.note } : {}), ...(pick.chosen ? { chosen: pick.chosen } : {}) });
  const withPool = { ...base, pool, cursorBefore: pick.cursorBefore, cursorAfter: pick.cursorAfter };
  if (!pick.owner) return { ...withPool, outcome: 'queued', reasons };
  return { ...withPool, ownerId: pick.owner.id, owner: pick.owner, outcome: 'assigned', reasons };
}

/**
 * The rule set a new lead is routed by: the latest version, or, for a lead that the stable hash puts in the holdout of a
 * running A/B test of that version, the previous one. A dry run (no lead id) always answers with the latest.
 */
async function ruleSetForLead(em: EntityManager, latest: RoutingRuleSet, leadId: number | undefined) {
  const none = { set: latest, experimentId: null, arm: null, note: '' };
  if (leadId === undefined) return none;
  const exp = await em.getRepository(RoutingExperiment).findOneBy({ companyId: latest.companyId, status: 'running', treatmentVersion: latest.version });
  if (!exp) return none;
  const arm = armOf(exp.salt, leadId, exp.holdoutPermille / 1000);
  if (arm === 'treatment') return { set: latest, experimentId: exp.id, arm, note: `；A/B 测试：新规则组` };
  const control = await em.getRepository(RoutingRuleSet).findOneBy({ companyId: latest.companyId, version: exp.controlVersion });
  if (!control) return none;
  return { set: control, experimentId: exp.id, arm, note: `；A/B 测试：对照组（${exp.holdoutPermille / 10}%），按上一版规则分配` };
}

/** Who is next in one pool's weighted round robin, and who was skipped on the way. Writes nothing. */
export interface PoolPick {
  owner: User | null;
  cursorBefore: number;
  cursorAfter: number;
  skipped: DecisionReasons['skipped'];
  chosen?: string;
  note?: string;
}

/**
 * The next eligible member of `pool` (weighted round robin from its durable cursor): active, on shift, under their cap,
 * within the protective threshold. `exclude` are never picked (a leaver whose deactivation is not yet written).
 * With `lock`, the pool's cursor row is locked until commit (MySQL) and the load counts are locking reads.
 */
export async function pickInPool(
  app: AppContext,
  em: EntityManager,
  companyId: number,
  pool: RoutingPool,
  score: number,
  at: number,
  lock: boolean,
  protective: ProtectiveThreshold,
  exclude: number[] = [],
): Promise<PoolPick> {
  const members = await em.getRepository(RoutingPoolMember).find({ where: { companyId, poolId: pool.id }, order: { position: 'ASC', id: 'ASC' } });
  const rules = new Map<number, PoolMemberRule>(members.map((m) => [m.userId, { userId: m.userId, weight: m.weight, cap: m.cap, shifts: m.shifts }]));
  // A member being deactivated holds their row until commit: wait for it, then read who is active as committed.
  if (lock && members.length)
    await em.query(
      `SELECT id FROM app_user WHERE id IN (${members.map(() => '?').join(', ')})${forShare(em)}`,
      members.map((m) => m.userId),
    );
  const users = members.length ? await em.getRepository(User).findBy({ companyId, id: In(members.map((m) => m.userId)) }) : [];
  for (const u of users) if (exclude.includes(u.id)) u.active = false;
  const userById = new Map(users.map((u) => [u.id, u]));
  // Loads matter only for a member with a cap, or when the lead is a top lead (protective threshold).
  const isTop = score >= protective.minScore;
  const needLoad = (u: User) => u.active && !u.deletedAt && (isTop || rules.get(u.id)?.cap != null);
  // The cursor row is locked as late as possible (it is held until commit): after the configuration reads.
  if (lock && app.tx.kind === 'mysql') {
    const locked = await em
      .getRepository(RoutingPool)
      .createQueryBuilder('p')
      .select(['p.id', 'p.rrCursor'])
      .where('p.id = :id AND p.companyId = :c', { id: pool.id, c: companyId })
      .setLock('pessimistic_write')
      .getOne();
    pool.rrCursor = locked?.rrCursor ?? pool.rrCursor;
  }
  const sequence = smoothWeightedSequence(members);
  const pickWith = (states: Map<number, MemberState>) =>
    pickFromCursor<SkipReason>(sequence, pool.rrCursor, (userId) =>
      ineligibility(rules.get(userId)!, states.get(userId) ?? { active: false, openLeads: 0, openTopLeads: 0 }, at, score, protective),
    );
  let states = await memberStates(app, em, companyId, users, needLoad, protective.minScore, false);
  let pick = pickWith(states);
  // Only the chosen member's load must be exact (their cap is the one at stake): their open leads are counted again as a
  // locking read, which waits for assignments to them still in flight. A locking read of every member's open leads
  // would hold hundreds of rows that follow-ups and edits update, and deadlock with them under load. If the exact count
  // differs, all loads are read so and the pick made again.
  if (lock && app.tx.kind === 'mysql' && pick.userId !== null && needLoad(userById.get(pick.userId)!)) {
    const chosen = pick.userId;
    const exact = await memberStates(app, em, companyId, [userById.get(chosen)!], needLoad, protective.minScore, true);
    const [was, is] = [states.get(chosen), exact.get(chosen)];
    if (was?.openLeads !== is?.openLeads || was?.openTopLeads !== is?.openTopLeads) {
      states = await memberStates(app, em, companyId, users, needLoad, protective.minScore, true);
      pick = pickWith(states);
    }
  }
  const skipped = pick.skipped.map((s) => ({
    userId: s.userId,
    name: userById.get(s.userId)?.name ?? `#${s.userId}`,
    reason: s.reason,
    label: SKIP_REASON_LABELS[s.reason],
  }));
  const out = { cursorBefore: pool.rrCursor, cursorAfter: pick.nextCursor, skipped };
  if (pick.userId === null) {
    const protectedOnly = pick.skipped.length > 0 && pick.skipped.some((s) => s.reason === 'protected');
    const note =
      members.length === 0
        ? '线索池没有成员，进入轮转队列等待主管分配'
        : protectedOnly
          ? `高分线索（≥${protective.minScore}）：可接的顾问都已持有 ${protective.maxPerRep} 条，进入轮转队列由主管手动分配`
          : '线索池内没有可接单的顾问，进入轮转队列等待主管分配';
    return { ...out, owner: null, note };
  }
  const owner = userById.get(pick.userId)!;
  return { ...out, owner, chosen: `${owner.name}（轮转位置 ${pick.position + 1}/${sequence.length}）` };
}

/** Active flag and open/top-lead counts per member, read so that concurrent commits are seen (MySQL). */
async function memberStates(
  app: AppContext,
  em: EntityManager,
  companyId: number,
  users: User[],
  needLoad: (u: User) => boolean,
  topScore: number,
  lock: boolean,
): Promise<Map<number, MemberState>> {
  const states = new Map<number, MemberState>(users.map((u) => [u.id, { active: u.active && !u.deletedAt, openLeads: 0, openTopLeads: 0 }]));
  if (!users.length) return states;
  // On MySQL the counts must see assignments committed after this transaction's snapshot was taken, so
  // they are a locking read on (companyId, ownerId, status): one range per member, locking only those reps'
  // open leads and never the pending rows other transactions are inserting. One statement for all members.
  const mysql = app.tx.kind === 'mysql';
  const lockSql = lock && mysql ? ' LOCK IN SHARE MODE' : '';
  const hint = mysql ? ' FORCE INDEX (idx_lead_company_owner_status)' : '';
  const ids = users.filter(needLoad).map((u) => u.id);
  if (!ids.length) return states;
  const rows: { ownerId: number | string; n: number | string; top: number | string | null }[] = await em.query(
    `SELECT ownerId, COUNT(*) AS n, SUM(CASE WHEN score >= ? THEN 1 ELSE 0 END) AS top FROM \`lead\`${hint}
      WHERE companyId = ? AND ownerId IN (${ids.map(() => '?').join(', ')}) AND status IN ('assigned','following') AND deletedAt IS NULL
      GROUP BY ownerId${lockSql}`,
    [topScore, companyId, ...ids],
  );
  for (const row of rows) {
    const s = states.get(Number(row.ownerId))!;
    s.openLeads = Number(row.n ?? 0);
    s.openTopLeads = Number(row.top ?? 0);
  }
  return states;
}
