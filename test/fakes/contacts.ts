import type { FakeDingtalk } from './dingtalk-server';
import type { FakeWecom } from './wecom-server';

/** A directory as the fakes hold it: departments (root '1') and members, edited by tests. */
export interface FakeOrg {
  departments: Map<string, { id: string; parentId: string | null; name: string; leaders: string[] }>;
  members: Map<string, { userId: string; name: string; departments: string[]; main: string | null; leaderIn: string[]; status: 1 | 2 | 4 | 5 }>;
}

export function emptyOrg(): FakeOrg {
  const org: FakeOrg = { departments: new Map(), members: new Map() };
  org.departments.set('1', { id: '1', parentId: null, name: '公司', leaders: [] });
  return org;
}

/** A generated org for tests and the bench: `departments` departments (centres at depth 1, teams below) and `members`. */
export function fakeOrg(opts: { departments: number; members: number }): FakeOrg {
  const org = emptyOrg();
  const centres = Math.max(1, Math.round(opts.departments / 25));
  const ids: string[] = [];
  for (let c = 0; c < centres; c++) {
    const id = String(1000 + c);
    org.departments.set(id, { id, parentId: '1', name: `中心${c + 1}`, leaders: [] });
    ids.push(id);
  }
  for (let i = 0; ids.length < opts.departments; i++) {
    const id = String(2000 + i);
    org.departments.set(id, { id, parentId: String(1000 + (i % centres)), name: `部门${i + 1}`, leaders: [] });
    ids.push(id);
  }
  for (let u = 0; u < opts.members; u++) {
    const dept = ids[centres + (u % (ids.length - centres || 1))] ?? ids[0];
    const lead = u < ids.length - centres;
    org.members.set(`user${u}`, { userId: `user${u}`, name: `成员${u}`, departments: [dept], main: dept, leaderIn: lead ? [dept] : [], status: 1 });
    if (lead) org.departments.get(dept)!.leaders.push(`user${u}`);
  }
  return org;
}

const wecomUser = (m: FakeOrg['members'] extends Map<string, infer V> ? V : never) => ({
  userid: m.userId,
  name: m.name,
  department: m.departments.map(Number),
  main_department: m.main === null ? undefined : Number(m.main),
  is_leader_in_dept: m.departments.map((d) => (m.leaderIn.includes(d) ? 1 : 0)),
  status: m.status,
  position: '销售',
});

/**
 * WeCom 通讯录 on the fake (platform-2.md §1.2): department/list, department/get, user/list (direct members,
 * no fetch_child), user/get; 60003 / 60111 for what does not exist, 60011 for what is outside `scope` (when set).
 * Errors and rate limits are injected with `fake.inject('GET', path, {json: {errcode: 45009, …}})`.
 */
export function withWecomContacts(fake: FakeWecom, org: FakeOrg, scope: { hidden: Set<string> } = { hidden: new Set() }) {
  const visible = (id: string) => !scope.hidden.has(id);
  fake.route(
    'GET',
    '/cgi-bin/department/list',
    fake.authed(() => ({
      errcode: 0,
      errmsg: 'ok',
      department: [...org.departments.values()]
        .filter((d) => visible(d.id))
        .map((d) => ({ id: Number(d.id), name: d.name, parentid: d.parentId === null ? 0 : Number(d.parentId), order: 1, department_leader: d.leaders })),
    })),
  );
  fake.route(
    'GET',
    '/cgi-bin/department/get',
    fake.authed((req) => {
      const d = org.departments.get(req.query.id ?? '');
      if (!d) return { errcode: 60003, errmsg: 'department not found' };
      if (!visible(d.id)) return { errcode: 60011, errmsg: 'no privilege to access/modify contact/party/agent' };
      return {
        errcode: 0,
        errmsg: 'ok',
        department: { id: Number(d.id), name: d.name, parentid: d.parentId === null ? 0 : Number(d.parentId), order: 1, department_leader: d.leaders },
      };
    }),
  );
  fake.route(
    'GET',
    '/cgi-bin/user/list',
    fake.authed((req) => {
      const dept = req.query.department_id ?? '';
      if (!org.departments.has(dept)) return { errcode: 60003, errmsg: 'department not found' };
      if (!visible(dept)) return { errcode: 60011, errmsg: 'no privilege to access/modify contact/party/agent' };
      const list = [...org.members.values()].filter((m) => m.departments.includes(dept) && m.status !== 5);
      return { errcode: 0, errmsg: 'ok', userlist: list.map(wecomUser) };
    }),
  );
  fake.route(
    'GET',
    '/cgi-bin/user/get',
    fake.authed((req) => {
      const want = (req.query.userid ?? '').toLowerCase();
      const m = [...org.members.values()].find((x) => x.userId.toLowerCase() === want);
      if (!m) return { errcode: 60111, errmsg: 'userid not found' };
      if (!m.departments.some(visible)) return { errcode: 60011, errmsg: 'no privilege to access/modify contact/party/agent' };
      return { errcode: 0, errmsg: 'ok', ...wecomUser(m), department: m.departments.filter(visible).map(Number) };
    }),
  );
}

/**
 * DingTalk 通讯录 on the fake (platform-2.md §4.2, old API, POST with JSON bodies): v2/department/listsub (direct
 * children, `result` a bare array), v2/department/get, v2/user/list (cursor + size ≤ 100, `leader` for the dept
 * listed), v2/user/get (`leader_in_dept` an array); 60003 / 60121 for what does not exist.
 */
export function withDingtalkContacts(fake: FakeDingtalk, org: FakeOrg) {
  const ok = (result: unknown) => ({ errcode: 0, errmsg: 'ok', result, request_id: 'r' });
  fake.route(
    'POST',
    '/topapi/v2/department/listsub',
    fake.oapiAuthed((req) =>
      ok(
        [...org.departments.values()]
          .filter((d) => d.parentId === String(req.body?.dept_id))
          .map((d) => ({ dept_id: Number(d.id), name: d.name, parent_id: Number(d.parentId), auto_add_user: true, create_dept_group: false })),
      ),
    ),
  );
  fake.route(
    'POST',
    '/topapi/v2/department/get',
    fake.oapiAuthed((req) => {
      const d = org.departments.get(String(req.body?.dept_id));
      if (!d) return { errcode: 60003, errmsg: '部门不存在' };
      return ok({ dept_id: Number(d.id), name: d.name, parent_id: d.parentId === null ? undefined : Number(d.parentId) });
    }),
  );
  fake.route(
    'POST',
    '/topapi/v2/user/list',
    fake.oapiAuthed((req) => {
      const dept = String(req.body?.dept_id);
      const size = Number(req.body?.size);
      if (!(size >= 1 && size <= 100)) return { errcode: 400002, errmsg: 'size 参数错误' };
      const all = [...org.members.values()].filter((m) => m.departments.includes(dept) && m.status !== 5);
      const from = Number(req.body?.cursor ?? 0);
      const page = all.slice(from, from + size);
      const more = from + size < all.length;
      return ok({
        has_more: more,
        next_cursor: more ? from + size : undefined,
        list: page.map((m) => ({
          userid: m.userId,
          name: m.name,
          dept_id_list: m.departments.map(Number),
          leader: m.leaderIn.includes(dept),
          active: m.status === 1,
        })),
      });
    }),
  );
  fake.route(
    'POST',
    '/topapi/v2/user/get',
    fake.oapiAuthed((req) => {
      const m = org.members.get(String(req.body?.userid));
      if (!m || m.status === 5) return { errcode: 60121, errmsg: '找不到该用户' };
      return ok({
        userid: m.userId,
        name: m.name,
        active: m.status === 1,
        dept_id_list: m.departments.map(Number),
        leader_in_dept: m.departments.map((d) => ({ dept_id: Number(d), leader: m.leaderIn.includes(d) })),
      });
    }),
  );
}
