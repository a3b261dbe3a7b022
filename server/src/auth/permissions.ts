import type { Context, Next } from 'koa';
import { ROLES, ROLE_LABELS, type Role } from '@lifeline/shared';
import { forbidden } from '../http/errors';
import { DEFAULT_SETTINGS, type CompanySettings } from '../companies/settings';
import type { Actor } from './actor';
import { actorOf } from './auth.middleware';

/**
 * Who may do what: the one table the route guards, the services and README's role section are built from.
 * A capability's `roles` are the default; `setting` names a company setting that replaces (roleSetting) or
 * extends (supervisorSetting) them per company. Scope rules (own leads, subtree, company) are applied on top
 * by the services: a role that may edit leads still edits only the leads it sees.
 */
interface Capability {
  roles: readonly Role[];
  /** What it allows, for README. */
  what: string;
  /** The 403 a denied caller gets (Chinese, says who may). */
  denied: string;
  /** A company setting listing the roles instead of `roles` (`roles` is then its default). */
  roleSetting?: 'phoneRevealRoles';
  /** A company flag that, when on, also lets supervisors in. */
  supervisorSetting?: 'supervisorCanExport';
  /** A more precise 403 for some roles (e.g. a supervisor while the company flag is off). */
  deniedFor?: Partial<Record<Role, string>>;
}

const PERMISSIONS = {
  'lead.create': {
    roles: ['rep', 'supervisor', 'ops', 'admin'],
    what: 'create a lead (a rep only for themselves)',
    denied: '总监账号只读，不能录入线索',
  },
  'lead.edit': {
    roles: ['rep', 'supervisor', 'admin'],
    what: 'edit a lead in scope (customer fields, channel, stage)',
    denied: '只有顾问（自己的线索）、主管或管理员可以修改线索',
  },
  'lead.keyFields': {
    roles: ['supervisor', 'admin'],
    what: "change a lead's owner, status or lost reason; move a stage back; open the recycle bin",
    denied: '只有主管或管理员可以修改负责人、状态和流失原因',
  },
  'lead.claim': {
    roles: ['rep', 'supervisor'],
    what: 'claim a lead they own',
    denied: '只有线索的负责人（顾问或主管）可以认领',
  },
  'lead.delete': {
    roles: ['supervisor', 'admin'],
    what: 'delete / restore a lead',
    denied: '只有主管或管理员可以删除或恢复线索',
  },
  'followup.create': {
    roles: ['rep', 'supervisor', 'admin'],
    what: 'record a follow-up on a lead in scope',
    denied: '只有顾问（自己的线索）、主管或管理员可以添加跟进',
  },
  'followup.delete': {
    roles: ['rep', 'supervisor', 'admin'],
    what: 'delete / restore a follow-up (reps: their own)',
    denied: '只有记录人、主管或管理员可以删除或恢复跟进记录',
  },
  'conversation.record': {
    roles: ['rep'],
    what: 'report a chat with one of their own customers (entry-rate KPI)',
    denied: '只有顾问可以上报与自己客户的会话',
  },
  'customer.revealPhone': {
    roles: DEFAULT_SETTINGS.phoneRevealRoles,
    roleSetting: 'phoneRevealRoles',
    what: 'reveal one full phone (audited as `reveal`); company setting `phoneRevealRoles`',
    denied: '你的角色不能查看完整手机号',
  },
  'customer.delete': {
    roles: ['admin'],
    what: 'delete / restore a customer',
    denied: '只有管理员可以删除或恢复客户',
  },
  'import.create': {
    roles: ['supervisor', 'ops', 'admin'],
    what: 'import leads from Excel/CSV',
    denied: '只有运营、主管或管理员可以导入线索',
  },
  'intake.channels': {
    roles: ['ops', 'admin'],
    what: 'list / create / change intake channels',
    denied: '只有管理员或运营可以配置接入渠道',
  },
  'integrations.manage': {
    roles: ['admin'],
    what: 'create / change the sources of inbound business events (finance, after-sales) and their secrets',
    denied: '只有管理员可以配置业务系统对接',
  },
  'integrations.review': {
    roles: ['ops', 'admin'],
    what: 'read inbound business events; resolve or dismiss the parked ones',
    denied: '只有管理员或运营可以处理业务系统推送的事件',
  },
  'partners.review': {
    roles: ['supervisor', 'ops', 'admin'],
    what: 'read partner referrals; approve or reject the held ones',
    denied: '只有主管、运营或管理员可以审核合作方推荐的线索',
  },
  'content.configure': {
    roles: ['ops', 'admin'],
    what: 'add / remove tag → material mappings',
    denied: '只有管理员或运营可以配置标签资料',
  },
  'content.send': {
    roles: ['rep', 'supervisor', 'admin'],
    what: 'mark queued material as sent to a customer in scope (ops and directors are read-only on leads)',
    denied: '只有顾问、主管或管理员可以标记资料已发送',
  },
  'scripts.edit': {
    roles: ['ops', 'director', 'admin'],
    what: 'add / edit / delete / restore scripts',
    denied: '只有销售运营、总监或管理员可以编辑话术库',
  },
  'scoring.configure': {
    roles: ['admin'],
    what: 'change score weights, recompute scores',
    denied: '只有管理员可以修改评分权重或重算评分',
  },
  'settings.view': {
    roles: ['ops', 'director', 'admin'],
    what: "read the company's vocabulary with usage counts",
    denied: '只有运营、总监或管理员可以查看词表设置',
  },
  'settings.configure': {
    roles: ['admin'],
    what: 'change action tags, quick phrases, courses, required profile fields, export permission',
    denied: '只有管理员可以修改词表',
  },
  'routing.configure': {
    roles: ['admin'],
    what: 'change routing rules and pools',
    denied: '只有管理员可以修改分配规则和线索池',
  },
  'routing.queue': {
    roles: ['supervisor', 'ops', 'director', 'admin'],
    what: 'see the rotation queue (supervisors: their subtree)',
    denied: '只有主管、运营、总监或管理员可以查看轮转队列',
  },
  'routing.experiments': {
    roles: ['supervisor', 'ops', 'director', 'admin'],
    what: 'read the A/B tests of routing rules and their reports (company-wide figures, no customer data)',
    denied: '只有主管、运营、总监或管理员可以查看分配规则的 A/B 测试',
  },
  'routing.assign': {
    roles: ['supervisor', 'admin'],
    what: 'assign a queued lead by hand',
    denied: '只有主管或管理员可以分配轮转队列中的线索',
  },
  'alarms.view': {
    roles: ['supervisor', 'ops', 'director', 'admin'],
    what: 'read the alarm rules',
    denied: '只有主管及以上可以查看提醒规则',
  },
  'alarms.configure': {
    roles: ['admin'],
    what: 'change the alarm rules',
    denied: '只有管理员可以修改提醒规则',
  },
  'metrics.team': {
    roles: ['supervisor', 'ops', 'director', 'admin'],
    what: 'team dashboards: rep battle map, channel ROI, journey heat, drill-down',
    denied: '仅主管及以上可查看',
  },
  'metrics.export': {
    roles: ['ops', 'director', 'admin'],
    supervisorSetting: 'supervisorCanExport',
    deniedFor: { rep: '仅主管及以上可查看', supervisor: '公司未开放主管导出数据，请联系运营或管理员' },
    what: 'export dashboard CSVs (supervisors when the company sets `supervisorCanExport`)',
    denied: '没有导出权限：仅运营、总监、管理员（及公司开放后的主管）可以导出',
  },
  'users.manage': {
    roles: ['admin'],
    what: "change a user's role, active flag (停用), org unit or manager",
    denied: '只有管理员可以修改用户的角色、状态和组织',
  },
  'users.view': {
    roles: ['supervisor', 'ops', 'director', 'admin'],
    what: "read a user's profile, pools and platform ids (supervisors: their subtree)",
    denied: '只有主管及以上可以查看用户资料',
  },
  'users.editTeam': {
    roles: ['supervisor', 'admin'],
    what: "change routing cap and shifts of a user in scope (supervisors: their subtree's reps)",
    denied: '只有主管（本团队）或管理员可以修改接单上限和排班',
  },
  'users.transfer': {
    roles: ['admin'],
    what: "hand a user's leads and WeCom customers to another user (在职继承), list and retry customer transfers",
    denied: '只有管理员可以转移顾问的客户',
  },
  'directory.sync': {
    roles: ['admin'],
    what: 'run and review directory syncs (WeCom / DingTalk), change directory settings',
    denied: '只有管理员可以同步通讯录',
  },
  'onboarding.view': {
    roles: ['admin'],
    what: 'the first-run checklist, send a test alarm, issue one-time sign-in links',
    denied: '只有管理员可以查看开通清单',
  },
  'health.view': {
    roles: ['ops', 'admin'],
    what: 'the data-health view (leads owned by inactive users, failed transfers, stale syncs)',
    denied: '只有运营或管理员可以查看数据健康检查',
  },
  'history.view': {
    roles: ['supervisor', 'ops', 'director', 'admin'],
    what: 'a customer, lead or follow-up as it was at a given time, and the changes since (in scope)',
    denied: '只有主管及以上可以查看历史版本',
  },
  'data.undo': {
    roles: ['admin'],
    what: 'undo changes from the audit (by person, time, record type or operation), snapshots and restores',
    denied: '只有管理员可以撤销变更或从快照恢复',
  },
  'metrics.spend': {
    roles: ['ops', 'director', 'admin'],
    what: 'enter channel spend',
    denied: '只有运营、总监或管理员可以录入渠道投放',
  },
} as const satisfies Record<string, Capability>;

export type CapabilityName = keyof typeof PERMISSIONS;

/** The roles holding a capability in a company with these settings. */
function rolesFor(cap: CapabilityName, settings: CompanySettings = DEFAULT_SETTINGS): Role[] {
  const c: Capability = PERMISSIONS[cap];
  const roles = [...(c.roleSetting ? settings[c.roleSetting] : c.roles)];
  if (c.supervisorSetting && settings[c.supervisorSetting] && !roles.includes('supervisor')) roles.push('supervisor');
  return roles;
}

export function can(actor: Pick<Actor, 'role' | 'settings'>, cap: CapabilityName): boolean {
  return rolesFor(cap, actor.settings).includes(actor.role);
}

/** 403 with the capability's message unless the actor holds it. */
export function assertCan(actor: Pick<Actor, 'role' | 'settings'>, cap: CapabilityName): void {
  if (can(actor, cap)) return;
  const c: Capability = PERMISSIONS[cap];
  throw forbidden(c.deniedFor?.[actor.role] ?? c.denied);
}

/** Route guard: runs before the body or query is read, so a denied caller always gets the 403. */
export function allow(cap: CapabilityName) {
  return async (ctx: Context, next: Next) => {
    assertCan(actorOf(ctx), cap);
    await next();
  };
}

export const README_ROLES_START = '<!-- roles:generated:start (npm run docs:roles; checked by test/server/role-table.test.ts) -->';
export const README_ROLES_END = '<!-- roles:generated:end -->';

/** README's capability × role table and masking rule, generated from PERMISSIONS and the default settings. */
export function rolesMarkdown(): string {
  const head = `| capability | ${ROLES.map((r) => `${r} (${ROLE_LABELS[r]})`).join(' | ')} | what |`;
  const sep = `|---|${ROLES.map(() => ':-:').join('|')}|---|`;
  const rows = (Object.keys(PERMISSIONS) as CapabilityName[]).map((cap) => {
    const roles = rolesFor(cap);
    const c: Capability = PERMISSIONS[cap];
    const cell = (r: Role) => (roles.includes(r) ? '✓' : r === 'supervisor' && c.supervisorSetting ? '(✓)' : '—');
    return `| \`${cap}\` | ${ROLES.map(cell).join(' | ')} | ${c.what} |`;
  });
  const visible = DEFAULT_SETTINGS.phoneVisibleRoles.join(', ');
  const reveal = DEFAULT_SETTINGS.phoneRevealRoles.join(', ');
  const masking =
    `**Phone masking.** Phones are shown in full only to the roles in the company's \`phoneVisibleRoles\` (default: ${visible}) ` +
    `and masked as \`139****1234\` for everyone else, in every response that can carry one (lead and customer views, lookup, ` +
    `timeline, audit rows, archived intake payloads, import reports, WeCom contacts, error messages), in any spelling ` +
    `(spaces, dots, dashes, full-width digits, +86/0086, numbers and JSON keys), and never in logs. A phone typed into a ` +
    `customer's name is masked when it is saved, since names reach chat cards and lists. A rep is also shown ` +
    `only the phones of customers they may see. The one way to a full number for a masked role is ` +
    `\`POST /api/customers/:id/reveal-phone\` (roles in \`phoneRevealRoles\`, default: ${reveal}), which writes an audit row.`;
  return [README_ROLES_START, head, sep, ...rows, '', masking, README_ROLES_END].join('\n');
}
