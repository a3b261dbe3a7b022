import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { leaseName } from '../db/lease-name';
import { Audit } from '../audit/audit.service';
import { DirectoryError, type DirectorySource, type SourceDepartment, type SourceMember } from './source';
import { DirectoryEvent } from './directory.entities';
import { applyPlan, type ApplyResult } from './apply';
import { departmentDepths, kindAtDepth, planSync, userKey, type Plan } from './planner';
import { currentOrg, directorySettingsOf, lockDirectory, sourceOf } from './staging';
import { SyncRuns } from './sync-runs';

const LEASE_MS = 30_000;
const BATCH = 50;
const BUSY_ATTEMPTS = 5;

/** What the platform says now about the event's subject (read outside any transaction). */
interface Fresh {
  member?: SourceMember | null;
  department?: SourceDepartment | null;
  /** The departments from the subject's up to the root (each once). */
  chain: SourceDepartment[];
}

const LABELS: [keyof ApplyResult, string][] = [
  ['unitsCreated', '新建组织'],
  ['unitsUpdated', '更新组织'],
  ['unitsDeleted', '删除组织'],
  ['usersCreated', '新增成员'],
  ['usersUpdated', '更新成员'],
  ['usersDeactivated', '停用成员'],
  ['usersReactivated', '恢复成员'],
  ['supervisorsSet', '更换主管'],
  ['leadsMoved', '线索移到上级组织'],
  ['handedOver', '离职交接线索'],
];

export function describeResult(r: ApplyResult): string {
  const parts = LABELS.filter(([k]) => r[k] > 0).map(([k, label]) => `${label} ${r[k]}`);
  return parts.length ? parts.join('，') : '无变化';
}

/**
 * Applies recorded contact-change events (directory_event), in any number of processes: claimed with a conditional
 * UPDATE and a lease. An event is a dirty marker: the worker re-reads the member or department through the
 * DirectorySource and applies that one change in a transaction, so events out of order, repeated or carrying only ids
 * end in the platform's current state. A department moved to another depth (its kind changes) starts a full sync.
 */
export class EventWorker {
  private running: Promise<number> | null = null;
  private deptCache = new Map<string, SourceDepartment | null>();

  constructor(private readonly app: AppContext) {}

  tick(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<number> {
    let done = 0;
    for (let round = 0; round < 20; round++) {
      const holder = leaseName('direvent');
      const ids = await this.claim(holder);
      if (!ids.length) break;
      this.deptCache = new Map();
      for (const id of ids) {
        await this.handle(id, holder);
        done++;
      }
    }
    return done;
  }

  private async claim(holder: string): Promise<number[]> {
    const now = this.app.clock.now();
    const due: { id: number }[] = await this.app.ds.query(
      `SELECT id FROM directory_event WHERE state = 'pending' AND notBefore <= ? AND (leaseUntil IS NULL OR leaseUntil < ?) ORDER BY id LIMIT ${BATCH}`,
      [now, now],
    );
    if (!due.length) return [];
    const ids = due.map((d) => Number(d.id));
    const marks = ids.map(() => '?').join(',');
    await this.app.tx.run((em) =>
      em.query(
        `UPDATE directory_event SET leaseOwner = ?, leaseUntil = ? WHERE id IN (${marks}) AND state = 'pending' AND (leaseUntil IS NULL OR leaseUntil < ?)`,
        [holder, now + LEASE_MS, ...ids, now],
      ),
    );
    const mine: { id: number }[] = await this.app.ds.query(`SELECT id FROM directory_event WHERE id IN (${marks}) AND leaseOwner = ? ORDER BY id`, [
      ...ids,
      holder,
    ]);
    return mine.map((m) => Number(m.id));
  }

  private async handle(id: number, holder: string): Promise<void> {
    const ev = await this.app.ds.getRepository(DirectoryEvent).findOneByOrFail({ id });
    try {
      const source = await sourceOf(this.app, ev.companyId);
      if (!source || source.platform !== ev.platform) return await this.finish(ev, holder, 'ignored', '本公司没有该平台的通讯录来源，事件未处理');
      const fresh = await this.read(source, ev);
      const outcome = await this.app.tx.run((em) => this.applyOne(em, ev, source, fresh), 'directory.event');
      this.app.actors.clear();
      await this.finish(ev, holder, 'done', outcome);
    } catch (err) {
      await this.failOrRetry(ev, holder, err);
    }
  }

  private async department(source: DirectorySource, id: string): Promise<SourceDepartment | null> {
    if (!this.deptCache.has(id)) {
      try {
        this.deptCache.set(id, await source.getDepartment(id));
      } catch (err) {
        // A department outside the app's scope is, for the sync, not there (as in a full sync).
        if (err instanceof DirectoryError && err.kind === 'scope') this.deptCache.set(id, null);
        else throw err;
      }
    }
    return this.deptCache.get(id)!;
  }

  /** The departments from each of `ids` up to the root (or the top the app can see). */
  private async chainOf(source: DirectorySource, ids: string[]): Promise<SourceDepartment[]> {
    const out = new Map<string, SourceDepartment>();
    for (const start of ids) {
      let cur: string | null = start;
      for (let hops = 0; cur !== null && !out.has(cur) && hops < 64; hops++) {
        const d = await this.department(source, cur);
        if (!d) break;
        out.set(d.id, d);
        cur = d.parentId;
      }
    }
    return [...out.values()];
  }

  private async read(source: DirectorySource, ev: DirectoryEvent): Promise<Fresh> {
    if (ev.kind === 'dept') {
      this.deptCache.delete(ev.externalId);
      const department = await this.department(source, ev.externalId);
      return { department, chain: department ? await this.chainOf(source, [department.id]) : [] };
    }
    let member: SourceMember | null;
    try {
      member = await source.getMember(ev.externalId);
    } catch (err) {
      if (!(err instanceof DirectoryError && err.kind === 'scope')) throw err;
      member = null; // moved out of the app's visible scope: as a full sync would see it, gone
    }
    return { member, chain: member ? await this.chainOf(source, member.departmentIds) : [] };
  }

  /** The one change, in the caller's transaction, against the org as it is now. */
  private async applyOne(em: EntityManager, ev: DirectoryEvent, source: DirectorySource, fresh: Fresh): Promise<string> {
    await lockDirectory(em, ev.companyId);
    const settings = await directorySettingsOf(em, ev.companyId);
    const now = this.app.clock.now();
    if (ev.kind === 'user' && ev.previousId) await this.renameUser(em, ev, now);
    const { units, users } = await currentOrg(em, ev.companyId, ev.platform);
    const input = { platform: ev.platform, rootDepartmentId: source.rootDepartmentId, units, settings };
    let plan: Plan;
    if (ev.kind === 'user') {
      const key = userKey(ev.platform, ev.externalId);
      const mine = users.filter((u) => u.platformUserId !== null && userKey(ev.platform, u.platformUserId) === key);
      plan = planSync({ ...input, departments: fresh.chain, members: fresh.member ? [fresh.member] : [], users: mine });
      const keyOfId = new Map(users.filter((u) => u.platformUserId).map((u) => [u.id, userKey(ev.platform, u.platformUserId!)]));
      const leadersOf = new Map(fresh.chain.map((d) => [d.id, d.leaderIds.map((l) => userKey(ev.platform, l))]));
      // One member's event makes them supervisor only where the unit has none, or one who no longer leads it.
      plan.supervisors = plan.supervisors.filter((s) => {
        const unit = units.find((u) => u.platform === ev.platform && u.externalId === s.unitExternalId);
        const current = unit?.supervisorId == null ? null : keyOfId.get(unit.supervisorId);
        return s.userKey === null || !current || !(leadersOf.get(s.unitExternalId) ?? []).includes(current);
      });
    } else {
      const unit = units.find((u) => u.platform === ev.platform && u.externalId === ev.externalId);
      const d = fresh.department;
      if (!d) {
        if (!unit || unit.deletedAt !== null) return '该部门不在组织中，无需处理';
        plan = planSync({ ...input, departments: [], members: [], users: [] });
        plan.units.delete = plan.units.delete.filter((u) => u.id === unit.id);
        plan.desiredUnits = [];
      } else {
        const { depth } = departmentDepths(source.rootDepartmentId, fresh.chain);
        const kind = depth.has(d.id) ? kindAtDepth(depth.get(d.id)!, settings) : null;
        if (unit && unit.deletedAt === null && unit.kind !== kind) return this.fullSync(ev, kind);
        plan = planSync({ ...input, departments: fresh.chain, members: [], users: [] });
        const leader = d.leaderIds[0];
        const pinned = unit?.supervisorPinned ?? false;
        const currentKey = unit?.supervisorId == null ? null : users.find((u) => u.id === unit.supervisorId)?.platformUserId;
        const leads = d.leaderIds.map((l) => userKey(ev.platform, l));
        plan.supervisors =
          kind && leader && !pinned && !(currentKey && leads.includes(userKey(ev.platform, currentKey))) ? [{ unitExternalId: d.id, userKey: leads[0] }] : [];
      }
    }
    plan.units.delete = ev.kind === 'dept' ? plan.units.delete : [];
    return describeResult(await applyPlan(em, this.app, { companyId: ev.companyId, platform: ev.platform, plan, actorId: null, at: now }));
  }

  /** WeCom update_user with NewUserID: the user keeps their record under the new id. */
  private async renameUser(em: EntityManager, ev: DirectoryEvent, now: number): Promise<void> {
    const [old] = await em.query(`SELECT id, wecomUserId FROM app_user WHERE companyId = ? AND LOWER(wecomUserId) = ? AND deletedAt IS NULL`, [
      ev.companyId,
      ev.previousId!.toLowerCase(),
    ]);
    const [taken] = await em.query(`SELECT id FROM app_user WHERE companyId = ? AND LOWER(wecomUserId) = ?`, [ev.companyId, ev.externalId.toLowerCase()]);
    if (!old || taken) return;
    await em.query('UPDATE app_user SET wecomUserId = ?, updatedAt = ? WHERE id = ?', [ev.externalId, now, old.id]);
    await new Audit(em, { companyId: ev.companyId, actorId: null, at: now }).changed('app_user', Number(old.id), [
      { field: 'wecomUserId', before: old.wecomUserId, after: ev.externalId },
    ]);
  }

  /** A department moved to another depth changes what is a centre and a team below it: a full sync redoes the tree. */
  private async fullSync(ev: DirectoryEvent, kind: string | null): Promise<string> {
    const what = kind === null ? '不再对应中心或小组' : `变为${kind === 'centre' ? '中心' : '小组'}`;
    try {
      const run = await new SyncRuns(this.app).start(ev.companyId, 'event', null);
      return `部门 ${ev.externalId} 层级变化（${what}），已发起全量同步（ID ${run.id}）`;
    } catch {
      return `部门 ${ev.externalId} 层级变化（${what}），已有全量同步在进行，由它处理`;
    }
  }

  private async finish(ev: DirectoryEvent, holder: string, state: DirectoryEvent['state'], outcome: string): Promise<void> {
    await this.app.ds.query(
      'UPDATE directory_event SET state = ?, outcome = ?, processedAt = ?, leaseOwner = NULL, leaseUntil = NULL WHERE id = ? AND leaseOwner = ?',
      [state, outcome.slice(0, 500), this.app.clock.now(), ev.id, holder],
    );
  }

  private async failOrRetry(ev: DirectoryEvent, holder: string, err: unknown): Promise<void> {
    const now = this.app.clock.now();
    const retry = err instanceof DirectoryError ? err.retryable : true;
    const attempts = ev.attempts + 1;
    const hint = err instanceof DirectoryError ? err.hint : err instanceof Error ? err.message : String(err);
    if (retry && attempts < BUSY_ATTEMPTS) {
      const wait = err instanceof DirectoryError && err.kind === 'rate_limited' ? (err.retryAfterMs ?? 60_000) : 5_000 * 2 ** ev.attempts;
      await this.app.ds.query(
        'UPDATE directory_event SET attempts = ?, notBefore = ?, outcome = ?, leaseOwner = NULL, leaseUntil = NULL WHERE id = ? AND leaseOwner = ?',
        [attempts, now + wait, `稍后重试：${hint}`.slice(0, 500), ev.id, holder],
      );
      return;
    }
    await this.finish(ev, holder, 'failed', `处理失败：${hint}`);
  }
}
