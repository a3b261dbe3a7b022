import {
  DirectoryError,
  readWithRetries,
  realPause,
  type DirectoryErrorKind,
  type DirectorySource,
  type MemberStatus,
  type SourceDepartment,
  type SourceMember,
} from '../../directory/source';
import { PlatformError } from '../platform-error';
import { WecomApi, WecomError } from './wecom-api';

/** WeCom's minute block lasts 60 s (platform-2.md §1.3). */
const RATE_LIMIT_WAIT_MS = 60_000;

interface WecomDepartment {
  id: number;
  parentid?: number;
  name?: string;
  order?: number;
  department_leader?: string[];
}

interface WecomMember {
  userid: string;
  name?: string;
  department?: number[];
  main_department?: number;
  is_leader_in_dept?: number[];
  status?: number;
  position?: string;
}

const STATUS: Record<number, MemberStatus> = { 1: 'active', 2: 'disabled', 4: 'inactive', 5: 'left' };

/** WeCom errcodes → what the sync does about them, with the sentence the admin reads. */
function kindOf(errcode: number): [DirectoryErrorKind, string] | null {
  if ([60011, 660003, 50002].includes(errcode)) return ['scope', '应用的可见范围不包含该部门或成员：请管理员在企业微信后台把销售组织加入本应用的可见范围'];
  if ([48002, 48009, 301002, 60020].includes(errcode))
    return ['forbidden', '本应用无权读取通讯录（接口被禁止、secret 不属于本应用或服务器 IP 不在企业可信 IP 中）：请检查企业微信应用配置'];
  if ([40001, 40013].includes(errcode)) return ['auth', '企业微信 corpid 或应用 secret 不正确：请检查服务器配置'];
  if ([45009, 45033].includes(errcode)) return ['rate_limited', '企业微信接口调用超过频率限制，稍后自动继续'];
  if (errcode === -1) return ['busy', '企业微信系统繁忙'];
  return null;
}

function toDirectoryError(err: unknown): unknown {
  if (err instanceof DirectoryError) return err; // already decided (a DirectoryError is a PlatformError too)
  if (err instanceof WecomError) {
    const k = kindOf(err.errcode);
    if (k) return new DirectoryError('wecom', k[0], String(err.errcode), k[1], k[0] === 'rate_limited' ? RATE_LIMIT_WAIT_MS : null);
    return new DirectoryError('wecom', 'busy', String(err.errcode), `企业微信返回错误 ${err.errcode}：${err.errmsg}`.slice(0, 200));
  }
  if (err instanceof PlatformError) return new DirectoryError('wecom', 'busy', 'transport', `企业微信暂时无法访问：${err.message}`.slice(0, 200));
  return err;
}

/**
 * The WeCom 通讯录 as a DirectorySource (platform-2.md §1), read with the app secret inside the app's visible scope:
 * `department/list` (one call for the whole tree, with names and leaders), `user/list` per department (direct
 * members only; WeCom dropped fetch_child), `department/get` and `user/get` for events. Mobile, email and avatar are
 * not read (a self-built app created after 2022-06-20 gets none of them).
 */
export class WecomDirectory implements DirectorySource {
  readonly platform = 'wecom' as const;
  readonly rootDepartmentId = '1';

  constructor(
    private readonly api: WecomApi,
    private readonly pause: (ms: number) => Promise<void> = realPause,
  ) {}

  get corpId(): string {
    return this.api.config.corpId;
  }

  /** One call, busy answers retried; WeCom errors mapped to DirectoryError; null for the errcodes in `gone`. */
  private call<T>(path: string, query: Record<string, string | number>, gone: number[] = []): Promise<T | null> {
    return readWithRetries(
      async () => (await this.api.get<T>(path, query)) as T,
      (raw) => raw instanceof WecomError && gone.includes(raw.errcode),
      toDirectoryError,
      this.pause,
    );
  }

  async listDepartments(): Promise<SourceDepartment[]> {
    const r = await this.call<{ department?: WecomDepartment[] }>('/cgi-bin/department/list', {});
    const all = (r?.department ?? []).map(toDepartment);
    // Parents before children (the port's promise); WeCom lists by order, not depth.
    const byId = new Map(all.map((d) => [d.id, d]));
    const out: SourceDepartment[] = [];
    const seen = new Set<string>();
    const visit = (d: SourceDepartment, guard: number) => {
      if (seen.has(d.id) || guard > 64) return;
      const parent = d.parentId ? byId.get(d.parentId) : undefined;
      if (parent) visit(parent, guard + 1);
      if (!seen.has(d.id)) {
        seen.add(d.id);
        out.push(d);
      }
    };
    for (const d of all) visit(d, 0);
    return out;
  }

  async listMembers(departmentId: string): Promise<SourceMember[]> {
    const r = await this.call<{ userlist?: WecomMember[] }>('/cgi-bin/user/list', { department_id: departmentId });
    return (r?.userlist ?? []).map(toMember);
  }

  async getDepartment(id: string): Promise<SourceDepartment | null> {
    // 60003: no such department (deleted); 60123: not a department id.
    const r = await this.call<{ department?: WecomDepartment }>('/cgi-bin/department/get', { id }, [60003, 60123]);
    return r?.department ? toDepartment(r.department) : null;
  }

  async getMember(userId: string): Promise<SourceMember | null> {
    // 60111: no such user (deleted); 40003: not a user id.
    const r = await this.call<WecomMember>('/cgi-bin/user/get', { userid: userId }, [60111, 40003]);
    return r ? toMember(r) : null;
  }
}

function toDepartment(d: WecomDepartment): SourceDepartment {
  return {
    id: String(d.id),
    parentId: d.parentid === undefined || d.parentid === 0 || String(d.id) === '1' ? null : String(d.parentid),
    name: String(d.name ?? `部门${d.id}`),
    order: Number(d.order ?? 0),
    leaderIds: (d.department_leader ?? []).map(String),
  };
}

function toMember(m: WecomMember): SourceMember {
  const departments = (m.department ?? []).map(String);
  const leaderFlags = m.is_leader_in_dept ?? [];
  return {
    userId: String(m.userid),
    name: String(m.name ?? m.userid),
    departmentIds: departments,
    mainDepartmentId: m.main_department === undefined ? null : String(m.main_department),
    leaderInDepartmentIds: departments.filter((_, i) => Number(leaderFlags[i]) === 1),
    status: STATUS[Number(m.status ?? 1)] ?? 'inactive',
    position: m.position ? String(m.position) : null,
  };
}
