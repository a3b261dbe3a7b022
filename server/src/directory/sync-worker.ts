import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { leaseName } from '../db/lease-name';
import { dbKindOf } from '../db/kind';
import { DirectoryError, type DirectorySource } from './source';
import { DirectorySyncRun } from './directory.entities';
import { applyPlan } from './apply';
import { clearStaging, lockDirectory, sourceOf, stageDepartments, stagedDepartments, stageMembers } from './staging';
import { cutIssues, diffOf, planOfRun } from './sync-runs';

/** A run's claim: renewed with every page; a killed process's run is taken over within this long. */
export const DEFAULT_SYNC_LEASE_MS = 60_000;
/** A platform that stays busy (-1, 5xx) this many times in a row fails the run (the adapter already retried 3 times per call). */
const BUSY_ATTEMPTS = 5;
const BUSY_BACKOFF_MS = 30_000;
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/** This worker no longer holds the run (its lease lapsed and another took it, or an admin cancelled it). */
class LeaseLost extends Error {}

type RunPatch = Partial<Record<keyof DirectorySyncRun, string | number | boolean | null | object>>;

/** Locks the run row (MySQL) and checks this holder still owns it in `status`; then applies `patch`. */
async function own(em: EntityManager, runId: number, holder: string, status: DirectorySyncRun['status'], patch: RunPatch = {}): Promise<DirectorySyncRun> {
  const lock = dbKindOf(em) === 'mysql' ? ' FOR UPDATE' : '';
  const [row] = (await em.query(`SELECT leaseOwner, status, approvedBy FROM directory_sync_run WHERE id = ?${lock}`, [runId])) as {
    leaseOwner: string | null;
    status: string;
  }[];
  if (!row || row.leaseOwner !== holder || row.status !== status) throw new LeaseLost();
  const keys = Object.keys(patch);
  if (keys.length) {
    const values = keys.map((k) => {
      const v = patch[k as keyof DirectorySyncRun];
      return v !== null && typeof v === 'object' ? JSON.stringify(v) : typeof v === 'boolean' ? Number(v) : v;
    });
    await em.query(`UPDATE directory_sync_run SET ${keys.map((k) => `\`${k}\` = ?`).join(', ')} WHERE id = ?`, [...values, runId]);
  }
  return em.getRepository(DirectorySyncRun).findOneByOrFail({ id: runId });
}

/**
 * Works full directory syncs (docs/directory.md), in any number of processes: a run is claimed with a conditional
 * UPDATE (like alarms/lease.ts), its departments and then each department's members are fetched into
 * directory_sync_item, one page per transaction with the progress (`deptsDone`), so a run cut off resumes at the next
 * department. Then the plan is computed; above the review thresholds the run waits in `review`; otherwise the whole
 * plan is applied in ONE transaction (the org is never half moved: a failure leaves the previous org as it was).
 * Checkpoints for tests: `directory:sync:page:<n>` after the n-th department's members are saved, and
 * `directory:sync:beforeApplyCommit`.
 */
export class SyncWorker {
  private running: Promise<number> | null = null;

  constructor(
    private readonly app: AppContext,
    private readonly opts: { leaseMs?: number } = {},
  ) {}

  private get leaseMs() {
    return this.opts.leaseMs ?? DEFAULT_SYNC_LEASE_MS;
  }

  /** Works every due run; overlapping calls share the pass in flight. Resolves with the number of runs worked. */
  tick(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<number> {
    let worked = 0;
    for (let i = 0; i < 50; i++) {
      const holder = leaseName('dirsync');
      const id = await this.claim(holder);
      if (id === null) break;
      await this.work(id, holder);
      worked++;
    }
    return worked;
  }

  /** The first due run this holder wins, or null. */
  private async claim(holder: string): Promise<number | null> {
    const now = this.app.clock.now();
    const due: { id: number }[] = await this.app.ds.query(
      `SELECT id FROM directory_sync_run WHERE status IN ('fetching', 'applying') AND notBefore <= ? AND (leaseUntil IS NULL OR leaseUntil < ?) ORDER BY id LIMIT 10`,
      [now, now],
    );
    for (const { id } of due) {
      await this.app.tx.run((em) =>
        em.query(
          `UPDATE directory_sync_run SET leaseOwner = ?, leaseUntil = ? WHERE id = ? AND status IN ('fetching', 'applying') AND notBefore <= ?
            AND (leaseUntil IS NULL OR leaseUntil < ?)`,
          [holder, now + this.leaseMs, id, now, now],
        ),
      );
      const [mine] = await this.app.ds.query('SELECT id FROM directory_sync_run WHERE id = ? AND leaseOwner = ?', [id, holder]);
      if (mine) return Number(id);
    }
    return null;
  }

  private async work(id: number, holder: string): Promise<void> {
    let run = await this.app.ds.getRepository(DirectorySyncRun).findOneByOrFail({ id });
    try {
      const source = await sourceOf(this.app, run.companyId);
      if (!source) throw new Error('本公司已没有可用的通讯录来源（平台配置被移除？）');
      if (run.status === 'fetching') {
        run = await this.fetch(run, source, holder);
        run = await this.decide(run, source, holder);
      }
      if (run.status === 'applying') await this.apply(run, source, holder);
    } catch (err) {
      if (err instanceof LeaseLost) return;
      await this.failOrPark(run, holder, err).catch((e) => {
        if (!(e instanceof LeaseLost)) throw e;
      });
    }
  }

  private async fetch(run: DirectorySyncRun, source: DirectorySource, holder: string): Promise<DirectorySyncRun> {
    let depts = await stagedDepartments(this.app.ds.manager, run.id);
    if (!depts.length) {
      const listed = await source.listDepartments();
      const now = this.app.clock.now();
      run = await this.app.tx.run(async (em) => {
        const owned = await own(em, run.id, holder, 'fetching', { deptsTotal: listed.length, deptsDone: 0, leaseUntil: now + this.leaseMs, updatedAt: now });
        await stageDepartments(em, run.id, listed);
        return owned;
      });
      depts = listed;
    }
    for (let i = run.deptsDone; i < depts.length; i++) {
      const members = await source.listMembers(depts[i].id);
      const now = this.app.clock.now();
      run = await this.app.tx.run(async (em) => {
        const owned = await own(em, run.id, holder, 'fetching', {
          deptsDone: i + 1,
          membersFetched: run.membersFetched + members.length,
          attempts: 0,
          leaseUntil: now + this.leaseMs,
          updatedAt: now,
        });
        await stageMembers(em, run.id, String(i), members);
        return owned;
      });
      await this.app.checkpoints.reach(`directory:sync:page:${i + 1}`);
    }
    return run;
  }

  /** Fetched: the plan waits for an admin's review (above the thresholds, not yet approved) or goes to apply. */
  private async decide(run: DirectorySyncRun, source: DirectorySource, holder: string): Promise<DirectorySyncRun> {
    const { plan, review, openLeads } = await planOfRun(this.app.ds.manager, run, source.rootDepartmentId);
    const wait = review.needed && run.approvedBy === null;
    const now = this.app.clock.now();
    return this.app.tx.run((em) =>
      own(em, run.id, holder, 'fetching', {
        status: wait ? 'review' : 'applying',
        summary: diffOf(plan, review, openLeads),
        issues: cutIssues(plan),
        updatedAt: now,
        ...(wait ? { leaseOwner: null, leaseUntil: null } : { leaseUntil: now + this.leaseMs }),
      }),
    );
  }

  /** The whole plan in one transaction, recomputed inside it from the org as it is at that moment. */
  private async apply(run: DirectorySyncRun, source: DirectorySource, holder: string): Promise<void> {
    await this.app.tx.run(async (em) => {
      await lockDirectory(em, run.companyId);
      const owned = await own(em, run.id, holder, 'applying');
      const { plan, review, openLeads } = await planOfRun(em, owned, source.rootDepartmentId);
      const now = this.app.clock.now();
      if (review.needed && owned.approvedBy === null) {
        await own(em, run.id, holder, 'applying', {
          status: 'review',
          summary: diffOf(plan, review, openLeads),
          leaseOwner: null,
          leaseUntil: null,
          updatedAt: now,
        });
        return;
      }
      const applied = await applyPlan(em, this.app, {
        companyId: run.companyId,
        platform: run.platform,
        plan,
        actorId: owned.approvedBy ?? owned.requestedBy,
        at: now,
      });
      await this.app.checkpoints.reach('directory:sync:beforeApplyCommit');
      await own(em, run.id, holder, 'applying', {
        status: 'applied',
        activeCompanyId: null,
        summary: { ...diffOf(plan, review, openLeads), applied },
        issues: cutIssues(plan),
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
        finishedAt: now,
      });
      await clearStaging(em, run.id);
    }, 'directory.apply');
    this.app.actors.clear(); // signed-in actors carry units and roles
  }

  /** A rate limit parks the run until the platform's retry time; a busy platform is retried with backoff; anything else fails it. */
  private async failOrPark(run: DirectorySyncRun, holder: string, err: unknown): Promise<void> {
    const now = this.app.clock.now();
    const status = run.status === 'applying' ? 'applying' : 'fetching';
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof DirectoryError && err.kind === 'rate_limited') {
      const until = now + (err.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS);
      await this.app.tx.run((em) =>
        own(em, run.id, holder, status, {
          notBefore: until,
          leaseOwner: null,
          leaseUntil: null,
          errorKind: 'rate_limited',
          error: `平台限流，${Math.ceil((until - now) / 1000)} 秒后自动继续：${err.hint}`.slice(0, 500),
          updatedAt: now,
        }),
      );
      return;
    }
    const busy = (err instanceof DirectoryError && err.kind === 'busy') || (!(err instanceof DirectoryError) && status === 'fetching');
    if (busy && run.attempts + 1 < BUSY_ATTEMPTS) {
      const hint = err instanceof DirectoryError ? err.hint : message;
      await this.app.tx.run((em) =>
        own(em, run.id, holder, status, {
          attempts: run.attempts + 1,
          notBefore: now + BUSY_BACKOFF_MS * 2 ** run.attempts,
          leaseOwner: null,
          leaseUntil: null,
          errorKind: 'busy',
          error: `平台繁忙，稍后自动重试（第 ${run.attempts + 1} 次）：${hint}`.slice(0, 500),
          updatedAt: now,
        }),
      );
      return;
    }
    const error =
      err instanceof DirectoryError ? err.hint : status === 'applying' ? `应用失败，组织保持同步前的样子：${message}` : `读取通讯录失败：${message}`;
    await this.app.tx.run(async (em) => {
      await own(em, run.id, holder, status, {
        status: 'failed',
        activeCompanyId: null,
        errorKind: err instanceof DirectoryError ? err.kind : 'error',
        error: error.slice(0, 500),
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
        finishedAt: now,
      });
      await clearStaging(em, run.id);
    });
  }
}
