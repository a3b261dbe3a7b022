import { PlatformError, type PlatformName } from '../platforms/platform-error';

/**
 * The one shape both platforms' directories are read into (WeCom 通讯录 and DingTalk 通讯录, see
 * docs/people.md): ids are strings (DingTalk dept ids and WeCom department ids are numbers on the wire; WeCom
 * userids are case-insensitive and compared lower-cased by the sync). The adapters live in
 * platforms/wecom/directory.ts and platforms/dingtalk/directory.ts; the sync in this folder knows only this port.
 */
export interface SourceDepartment {
  id: string;
  /** null for the root (WeCom 1, DingTalk 1) or a department whose parent the app cannot see */
  parentId: string | null;
  name: string;
  order: number;
  /** Department leaders' user ids (WeCom `department_leader`; DingTalk members with `leader` in this dept). */
  leaderIds: string[];
}

/** WeCom `status` 1 active, 2 disabled, 4 not activated, 5 left; DingTalk `active` false = not activated. */
export type MemberStatus = 'active' | 'disabled' | 'inactive' | 'left';

export interface SourceMember {
  userId: string;
  name: string;
  /** Only departments the app can see (the platforms filter them). */
  departmentIds: string[];
  /** null when the app cannot see it (WeCom omits it): the first of departmentIds is used. */
  mainDepartmentId: string | null;
  /** Departments this member leads (WeCom is_leader_in_dept, DingTalk leader_in_dept / leader). */
  leaderInDepartmentIds: string[];
  status: MemberStatus;
  position: string | null;
}

export interface DirectorySource {
  readonly platform: PlatformName;
  readonly corpId: string;
  readonly rootDepartmentId: string;
  /** The whole tree the app can see, parents before children. */
  listDepartments(): Promise<SourceDepartment[]>;
  /** Members directly in one department (not its children), every page. */
  listMembers(departmentId: string): Promise<SourceMember[]>;
  /** One department, or null when it no longer exists. Outside the app's scope raises DirectoryError 'scope'. */
  getDepartment(id: string): Promise<SourceDepartment | null>;
  /** One member, or null when they no longer exist (deleted / left). Outside the scope raises DirectoryError 'scope'. */
  getMember(userId: string): Promise<SourceMember | null>;
}

/**
 * What went wrong reading a directory, in the terms the sync acts on:
 * - `scope`: outside the app's visible scope (WeCom 60011/660003/50002, DingTalk 50002/60011) — never retried; the admin widens it.
 * - `forbidden`: the credentials may not call this (WeCom 48002/48009/301002/60020, DingTalk 60020/90002) — never retried.
 * - `auth`: bad corp id / secret (WeCom 40001/40013, DingTalk 40096/88) — never retried.
 * - `rate_limited`: the platform said slow down (WeCom 45009/45033, DingTalk 90018/status 1111) — resume after `retryAfterMs`.
 * - `busy`: -1 / HTTP 5xx / no answer — retried by the adapter 3 times, then by the next run.
 * `hint` is the Chinese sentence an admin can act on (shown in the sync run and the first-run checklist).
 */
export type DirectoryErrorKind = 'scope' | 'forbidden' | 'auth' | 'rate_limited' | 'busy';

export class DirectoryError extends PlatformError {
  constructor(
    platform: PlatformName,
    readonly kind: DirectoryErrorKind,
    readonly code: string,
    readonly hint: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(platform, `${kind} ${code}: ${hint}`, kind === 'busy' || kind === 'rate_limited');
  }

  get retryable(): boolean {
    return this.kind === 'busy' || this.kind === 'rate_limited';
  }
}

/** How many times an adapter retries a busy answer (-1, HTTP 5xx, no answer) before the sync hears of it (both platforms: "at most 3"). */
export const BUSY_RETRIES = 3;
const BUSY_PAUSE_MS = 500;

export const realPause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One platform read for an adapter: `read` returns the answer, `gone` says which raw errors mean "no such record"
 * (→ null), `toError` maps the rest to DirectoryError; busy answers are retried with a growing pause.
 */
export async function readWithRetries<T>(
  read: () => Promise<T>,
  gone: (raw: unknown) => boolean,
  toError: (raw: unknown) => unknown,
  pause: (ms: number) => Promise<void> = realPause,
): Promise<T | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (raw) {
      if (gone(raw)) return null;
      const err = toError(raw);
      if (err instanceof DirectoryError && err.kind === 'busy' && attempt < BUSY_RETRIES) {
        await pause(BUSY_PAUSE_MS * (attempt + 1));
        continue;
      }
      throw err;
    }
  }
}
