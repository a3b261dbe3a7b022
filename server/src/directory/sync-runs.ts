import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { badRequest, conflict, notFound } from '../http/errors';
import { isUniqueViolation } from '../db/errors';
import { insertRow, updateManyById } from '../db/rows';
import { Audit } from '../audit/audit.service';
import { DirectorySyncRun, LIVE_RUN_STATUSES, type SyncRunStatus } from './directory.entities';
import { planSummary, planSync, type Plan } from './planner';
import { clearStaging, currentOrg, directorySettingsOf, sourceOf, stagedDepartments, stagedMembers } from './staging';
import type { DirectorySettings } from '../companies/settings';

/** Lists in a run's diff are cut to this many entries (the counts are always whole). */
const LIST_MAX = 200;

export function runView(run: DirectorySyncRun, now: number) {
  return {
    id: run.id,
    platform: run.platform,
    status: run.status,
    origin: run.origin,
    requestedBy: run.requestedBy,
    approvedBy: run.approvedBy,
    progress: { deptsTotal: run.deptsTotal, deptsDone: run.deptsDone, membersFetched: run.membersFetched },
    /** Set while a rate limit or a busy platform parks the run: it resumes by itself at this time. */
    parkedUntil: run.notBefore > now && run.status === 'fetching' ? run.notBefore : null,
    diff: run.summary ?? null,
    issues: run.issues ?? [],
    errorKind: run.errorKind,
    error: run.error,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
  };
}

/** Open leads per org unit, for the units a plan deletes. */
async function openLeadsOn(em: EntityManager, companyId: number, unitIds: number[]): Promise<Map<number, number>> {
  if (!unitIds.length) return new Map();
  const rows: { orgUnitId: number; n: number }[] = await em.query(
    `SELECT orgUnitId, COUNT(*) AS n FROM \`lead\` WHERE companyId = ? AND deletedAt IS NULL AND status IN ('pending', 'assigned', 'following')
      AND orgUnitId IN (${unitIds.map(() => '?').join(',')}) GROUP BY orgUnitId`,
    [companyId, ...unitIds],
  );
  return new Map(rows.map((r) => [Number(r.orgUnitId), Number(r.n)]));
}

export interface PlanReview {
  needed: boolean;
  reasons: string[];
}

/** Whether a plan waits for an admin: too many deactivations, or a unit with open leads deleted. */
export function reviewOf(plan: Plan, openLeads: Map<number, number>, settings: DirectorySettings): PlanReview {
  const reasons: string[] = [];
  const active = plan.counts.activeSyncedUsers;
  const leaving = plan.users.deactivate.length;
  if (active > 0 && leaving / active > settings.reviewDeactivateShare) {
    reasons.push(
      `将停用 ${leaving} 人，占已同步在职人员 ${Math.round((leaving / active) * 100)}%，超过 ${Math.round(settings.reviewDeactivateShare * 100)}% 的复核阈值`,
    );
  }
  const withLeads = plan.units.delete.filter((u) => (openLeads.get(u.id) ?? 0) > 0);
  for (const u of withLeads) reasons.push(`将删除的组织「${u.name}」还有 ${openLeads.get(u.id)} 条未结线索（将移到上级组织）`);
  return { needed: reasons.length > 0, reasons };
}

/** The diff a run shows: counts, the review reasons, and (cut) lists of what changes. */
export function diffOf(plan: Plan, review: PlanReview, openLeads: Map<number, number>) {
  const cut = <T>(xs: T[]) => xs.slice(0, LIST_MAX);
  return {
    ...planSummary(plan),
    review: review.reasons,
    unitsCreated: cut(plan.units.create.map((u) => ({ externalId: u.externalId, name: u.name, kind: u.kind }))),
    unitsChanged: cut(plan.units.update.map((u) => ({ id: u.id, name: u.spec.name, fields: u.fields }))),
    unitsDeleted: cut(plan.units.delete.map((u) => ({ id: u.id, name: u.name, openLeads: openLeads.get(u.id) ?? 0 }))),
    usersCreated: cut(plan.users.create.map((u) => ({ platformUserId: u.platformUserId, name: u.name }))),
    usersDeactivated: cut(plan.users.deactivate.map((u) => ({ id: u.id, name: u.name, reason: u.reason }))),
    usersReactivated: cut(plan.users.reactivate.map((u) => ({ id: u.id, name: u.spec.name }))),
  };
}

/** The plan of a fetched run, from its staged departments and members and the company's rows as they are now. */
export async function planOfRun(em: EntityManager, run: DirectorySyncRun, rootDepartmentId: string) {
  const settings = await directorySettingsOf(em, run.companyId);
  const { units, users } = await currentOrg(em, run.companyId, run.platform);
  const plan = planSync({
    platform: run.platform,
    rootDepartmentId,
    departments: await stagedDepartments(em, run.id),
    members: await stagedMembers(em, run.id),
    units,
    users,
    settings,
  });
  const openLeads = await openLeadsOn(
    em,
    run.companyId,
    plan.units.delete.map((u) => u.id),
  );
  return { plan, settings, openLeads, review: reviewOf(plan, openLeads, settings) };
}

const cutIssues = (plan: Plan) => plan.issues.slice(0, LIST_MAX);

export { cutIssues };

/** The admin side of runs: start one, read it, approve or cancel a run waiting in review, list recent ones. */
export class SyncRuns {
  constructor(private readonly app: AppContext) {}

  /** A new run (fetching). One live run per company: a second start is a 409 naming the live one. */
  async start(companyId: number, origin: DirectorySyncRun['origin'], requestedBy: number | null, requestId?: string): Promise<DirectorySyncRun> {
    const source = await sourceOf(this.app, companyId);
    if (!source) throw badRequest('本公司未配置企业微信或钉钉通讯录（或服务器的应用不属于本公司的企业），无法同步；请先在开通清单中完成平台配置');
    const now = this.app.clock.now();
    try {
      return await this.app.tx.run(async (em) => {
        const run = Object.assign(new DirectorySyncRun(), {
          companyId,
          activeCompanyId: companyId,
          platform: source.platform,
          status: 'fetching' as SyncRunStatus,
          origin,
          requestedBy,
          approvedBy: null,
          deptsTotal: 0,
          deptsDone: 0,
          membersFetched: 0,
          attempts: 0,
          notBefore: now,
          leaseOwner: null,
          leaseUntil: null,
          summary: null,
          issues: null,
          errorKind: null,
          error: null,
          createdAt: now,
          updatedAt: now,
          finishedAt: null,
        });
        await insertRow(em, DirectorySyncRun, run);
        await new Audit(em, { companyId, actorId: requestedBy, requestId, at: now }).created('directory_sync_run', run.id, { platform: run.platform, origin });
        return run;
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const live = await this.app.ds.getRepository(DirectorySyncRun).findOneBy({ activeCompanyId: companyId });
      throw conflict(`已有一次通讯录同步在进行中（ID ${live?.id ?? '?'}，状态 ${live?.status ?? '?'}），请等它结束，或复核后应用 / 取消`, {
        runId: live?.id ?? null,
      });
    }
  }

  async get(companyId: number, id: number): Promise<DirectorySyncRun> {
    const run = await this.app.ds.getRepository(DirectorySyncRun).findOneBy({ id, companyId });
    if (!run) throw notFound(`同步记录不存在（ID ${id}）`);
    return run;
  }

  async list(companyId: number, limit = 20): Promise<DirectorySyncRun[]> {
    return this.app.ds.getRepository(DirectorySyncRun).find({ where: { companyId }, order: { createdAt: 'DESC', id: 'DESC' }, take: limit });
  }

  /** An admin approves a run waiting in review: the worker applies it (even above the thresholds). */
  async approve(companyId: number, id: number, actorId: number, requestId?: string): Promise<DirectorySyncRun> {
    return this.transition(companyId, id, actorId, requestId, ['review'], { status: 'applying', approvedBy: actorId }, '只有等待复核的同步可以应用');
  }

  /** An admin cancels a run that is fetching or waiting in review: nothing of it is applied. */
  async cancel(companyId: number, id: number, actorId: number, requestId?: string): Promise<DirectorySyncRun> {
    return this.transition(companyId, id, actorId, requestId, ['fetching', 'review'], { status: 'cancelled' }, '只有正在读取或等待复核的同步可以取消');
  }

  private async transition(
    companyId: number,
    id: number,
    actorId: number,
    requestId: string | undefined,
    from: SyncRunStatus[],
    to: { status: SyncRunStatus; approvedBy?: number },
    refusal: string,
  ): Promise<DirectorySyncRun> {
    await this.get(companyId, id);
    const now = this.app.clock.now();
    return this.app.tx.run(async (em) => {
      const run = await em.getRepository(DirectorySyncRun).findOneByOrFail({ id, companyId });
      if (!from.includes(run.status)) throw conflict(`${refusal}（当前状态：${run.status}）`);
      const ended = !LIVE_RUN_STATUSES.includes(to.status);
      const patch: Partial<DirectorySyncRun> = {
        ...to,
        updatedAt: now,
        notBefore: now,
        leaseOwner: null,
        leaseUntil: null,
        ...(ended ? { activeCompanyId: null, finishedAt: now } : {}),
      };
      await updateManyById(em, DirectorySyncRun, [{ id, patch }]);
      if (ended) await clearStaging(em, id);
      await new Audit(em, { companyId, actorId, requestId, at: now }).changed('directory_sync_run', id, [
        { field: 'status', before: run.status, after: to.status },
      ]);
      return Object.assign(run, patch);
    });
  }
}
