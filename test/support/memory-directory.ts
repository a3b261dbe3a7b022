import { DirectoryError, type DirectorySource, type SourceDepartment, type SourceMember } from '../../server/src/directory/source';
import type { PlatformName } from '../../server/src/platforms/platform-error';

/**
 * An in-memory WeCom / DingTalk directory (tests and the bench, until the platform fakes stand in): departments and
 * members the test edits, the DirectorySource port over them, and failure injection by call number.
 */
export class MemoryDirectory implements DirectorySource {
  readonly departments = new Map<string, SourceDepartment>();
  readonly members = new Map<string, SourceMember>();
  /** Calls so far (every method), for "fail at call N" and to count pages. */
  calls = 0;
  readonly log: string[] = [];
  private readonly failures = new Map<number, () => Error>();
  /** Set to make every call throw this (until cleared). */
  failAll: (() => Error) | null = null;

  constructor(
    readonly platform: PlatformName = 'wecom',
    readonly corpId = 'ww-test',
    readonly rootDepartmentId = '1',
  ) {
    this.dept('1', null, '公司');
  }

  dept(id: string, parentId: string | null, name: string, leaderIds: string[] = []): this {
    this.departments.set(id, { id, parentId, name, order: this.departments.size, leaderIds });
    return this;
  }

  member(userId: string, name: string, departmentIds: string[], more: Partial<SourceMember> = {}): this {
    this.members.set(userId, {
      userId,
      name,
      departmentIds,
      mainDepartmentId: departmentIds[0] ?? null,
      leaderInDepartmentIds: [],
      status: 'active',
      position: null,
      ...more,
    });
    return this;
  }

  /** The `n`-th call from now on (1 = the next) throws. */
  failAt(n: number, error: () => Error): this {
    this.failures.set(this.calls + n, error);
    return this;
  }

  static rateLimited(retryAfterMs = 60_000, platform: PlatformName = 'wecom') {
    return () => new DirectoryError(platform, 'rate_limited', '45009', '接口调用超过频率限制，稍后自动继续', retryAfterMs);
  }

  static scope(platform: PlatformName = 'wecom') {
    return () => new DirectoryError(platform, 'scope', '60011', '应用的可见范围不包含该部门或成员，请管理员在企业微信后台扩大应用可见范围');
  }

  static busy(platform: PlatformName = 'wecom') {
    return () => new DirectoryError(platform, 'busy', '-1', '企业微信系统繁忙');
  }

  private call(what: string) {
    this.calls++;
    this.log.push(what);
    const f = this.failAll ?? this.failures.get(this.calls);
    if (f) {
      this.failures.delete(this.calls);
      throw f();
    }
  }

  async listDepartments(): Promise<SourceDepartment[]> {
    this.call('listDepartments');
    // Parents before children, as the port promises (a cycle has no such order: listed as stored).
    const out: SourceDepartment[] = [];
    const seen = new Set<string>();
    const visit = (d: SourceDepartment, guard = 0) => {
      if (seen.has(d.id) || guard > 64) return;
      const parent = d.parentId ? this.departments.get(d.parentId) : undefined;
      if (parent && !seen.has(parent.id)) visit(parent, guard + 1);
      if (seen.has(d.id)) return;
      seen.add(d.id);
      out.push(structuredClone(d));
    };
    for (const d of this.departments.values()) visit(d);
    return out;
  }

  async listMembers(departmentId: string): Promise<SourceMember[]> {
    this.call(`listMembers:${departmentId}`);
    return [...this.members.values()].filter((m) => m.departmentIds.includes(departmentId)).map((m) => structuredClone(m));
  }

  async getDepartment(id: string): Promise<SourceDepartment | null> {
    this.call(`getDepartment:${id}`);
    const d = this.departments.get(id);
    return d ? structuredClone(d) : null;
  }

  async getMember(userId: string): Promise<SourceMember | null> {
    this.call(`getMember:${userId}`);
    const want = this.platform === 'wecom' ? userId.toLowerCase() : userId;
    const m = [...this.members.values()].find((x) => (this.platform === 'wecom' ? x.userId.toLowerCase() : x.userId) === want);
    return m ? structuredClone(m) : null;
  }
}

/** A generated org: `departments` departments under `centres` centres (depth 1) and teams (depth 2, some deeper), `members` members. */
export function memoryOrg(opts: { departments: number; members: number; centres?: number; platform?: PlatformName }): MemoryDirectory {
  const dir = new MemoryDirectory(opts.platform ?? 'wecom');
  const centres = opts.centres ?? Math.max(1, Math.round(opts.departments / 25));
  const ids: string[] = [];
  for (let c = 0; c < centres && ids.length < opts.departments; c++) {
    const id = String(1000 + c);
    dir.dept(id, '1', `中心${c + 1}`);
    ids.push(id);
  }
  for (let i = 0; ids.length < opts.departments; i++) {
    const id = String(2000 + i);
    // Every fifth team-level department sits one level deeper (folds into its team).
    const parent = i % 5 === 4 ? String(2000 + i - 1) : String(1000 + (i % centres));
    dir.dept(id, parent, `部门${i + 1}`);
    ids.push(id);
  }
  for (let u = 0; u < opts.members; u++) {
    const dept = ids[centres + (u % (ids.length - centres || 1))] ?? ids[0];
    const leads = u < ids.length - centres;
    dir.member(`user${u}`, `成员${u}`, [dept], { leaderInDepartmentIds: leads ? [dept] : [] });
  }
  return dir;
}
