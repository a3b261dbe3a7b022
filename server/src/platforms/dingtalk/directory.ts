import {
  DirectoryError,
  readWithRetries,
  realPause,
  type DirectoryErrorKind,
  type DirectorySource,
  type SourceDepartment,
  type SourceMember,
} from '../../directory/source';
import { PlatformError } from '../platform-error';
import { DingtalkApi, DingtalkError } from './dingtalk-api';

/** DingTalk's IP limit: 10,000 calls per 20 s, then a 5-minute ban (platform-2.md §4.3). */
const BAN_WAIT_MS = 5 * 60_000;
const PAGE = 100;

interface DtDepartment {
  dept_id: number;
  name?: string;
  parent_id?: number;
}

interface DtMember {
  userid: string;
  name?: string;
  dept_id_list?: number[];
  leader?: boolean;
  leader_in_dept?: { dept_id: number; leader: boolean }[];
  active?: boolean;
  title?: string;
}

function kindOf(code: string): [DirectoryErrorKind, string] | null {
  if (['50002'].includes(code)) return ['scope', '成员不在应用的通讯录权限范围内：请管理员在钉钉开发者后台扩大应用的通讯录权限范围'];
  if (['60011', '60020', '90002'].includes(code))
    return ['forbidden', '本应用无权读取钉钉通讯录（缺少通讯录读权限、服务器 IP 不在白名单或接口被禁用）：请检查钉钉应用配置'];
  if (['40096', '88'].includes(code)) return ['auth', '钉钉 AppKey 或 AppSecret 不正确：请检查服务器配置'];
  if (['90018'].includes(code) || /^900(0\d|1[0-4])$/.test(code)) return ['rate_limited', '钉钉接口调用超过频率限制，稍后自动继续'];
  if (code === '-1') return ['busy', '钉钉系统繁忙'];
  return null;
}

function toDirectoryError(err: unknown): unknown {
  if (err instanceof DirectoryError) return err; // already decided (a DirectoryError is a PlatformError too)
  if (err instanceof DingtalkError) {
    const k = kindOf(err.code);
    if (k) return new DirectoryError('dingtalk', k[0], err.code, k[1], k[0] === 'rate_limited' ? BAN_WAIT_MS : null);
    return new DirectoryError('dingtalk', 'busy', err.code, `钉钉返回错误 ${err.code}：${err.detail}`.slice(0, 200));
  }
  if (err instanceof PlatformError) return new DirectoryError('dingtalk', 'busy', 'transport', `钉钉暂时无法访问：${err.message}`.slice(0, 200));
  return err;
}

/**
 * The DingTalk 通讯录 as a DirectorySource (platform-2.md §4), through the old `topapi` family: the tree walked
 * breadth-first with `v2/department/listsub` (direct children only), members with `v2/user/list` (cursor, 100 a
 * page; `leader` is for the department listed), `v2/department/get` and `v2/user/get` for events. Mobiles need a
 * separate permission and are not read.
 */
export class DingtalkDirectory implements DirectorySource {
  readonly platform = 'dingtalk' as const;
  readonly rootDepartmentId = '1';

  constructor(
    private readonly api: DingtalkApi,
    private readonly pause: (ms: number) => Promise<void> = realPause,
  ) {}

  get corpId(): string {
    return this.api.config.corpId ?? '';
  }

  private call<T>(path: string, body: unknown, gone: string[] = []): Promise<T | null> {
    return readWithRetries(
      async () => {
        const r = await this.api.oapi<{ result?: T; status?: number; wait?: number }>('POST', path, body);
        // The IP ban answers 200 with {"status":1111,"wait":5,"punish":"deny"} (wait in minutes).
        if (r.status === 1111)
          throw new DirectoryError('dingtalk', 'rate_limited', '1111', '钉钉接口调用超过 IP 频率限制，稍后自动继续', (r.wait ?? 5) * 60_000);
        return (r.result ?? null) as T;
      },
      (raw) => raw instanceof DingtalkError && gone.includes(raw.code),
      toDirectoryError,
      this.pause,
    );
  }

  async listDepartments(): Promise<SourceDepartment[]> {
    const out: SourceDepartment[] = [{ id: '1', parentId: null, name: '根部门', order: 0, leaderIds: [] }];
    const seen = new Set(['1']);
    for (let i = 0; i < out.length; i++) {
      const children = (await this.call<DtDepartment[]>('/topapi/v2/department/listsub', { dept_id: Number(out[i].id) })) ?? [];
      for (const d of children) {
        const id = String(d.dept_id);
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ id, parentId: out[i].id, name: String(d.name ?? `部门${id}`), order: out.length, leaderIds: [] });
      }
    }
    return out;
  }

  async listMembers(departmentId: string): Promise<SourceMember[]> {
    const out: SourceMember[] = [];
    let cursor = 0;
    for (let pages = 0; pages < 10_000; pages++) {
      const r = await this.call<{ has_more?: boolean; next_cursor?: number; list?: DtMember[] }>('/topapi/v2/user/list', {
        dept_id: Number(departmentId),
        cursor,
        size: PAGE,
      });
      for (const m of r?.list ?? []) out.push(toMember(m, m.leader ? [departmentId] : []));
      if (!r?.has_more || r.next_cursor === undefined) break;
      cursor = r.next_cursor;
    }
    return out;
  }

  async getDepartment(id: string): Promise<SourceDepartment | null> {
    const d = await this.call<DtDepartment>('/topapi/v2/department/get', { dept_id: Number(id) }, ['60003']);
    if (!d) return null;
    const deptId = String(d.dept_id ?? id);
    return {
      id: deptId,
      parentId: deptId === '1' || d.parent_id === undefined ? null : String(d.parent_id),
      name: String(d.name ?? `部门${deptId}`),
      order: 0,
      leaderIds: [],
    };
  }

  async getMember(userId: string): Promise<SourceMember | null> {
    const m = await this.call<DtMember>('/topapi/v2/user/get', { userid: userId }, ['60121', '33012']);
    if (!m) return null;
    return toMember(
      m,
      (m.leader_in_dept ?? []).filter((l) => l.leader).map((l) => String(l.dept_id)),
    );
  }
}

function toMember(m: DtMember, leaderIn: string[]): SourceMember {
  const departments = (m.dept_id_list ?? []).map(String);
  return {
    userId: String(m.userid),
    name: String(m.name ?? m.userid),
    departmentIds: departments,
    mainDepartmentId: departments[0] ?? null,
    leaderInDepartmentIds: leaderIn,
    // DingTalk lists only members of the organisation; `active` false = not yet activated.
    status: m.active === false ? 'inactive' : 'active',
    position: m.title ? String(m.title) : null,
  };
}
