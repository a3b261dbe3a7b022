import { reassignSchema, transferListQuerySchema, transferRetrySchema } from '../../users/schemas';
import { json, ok, type RouteDoc } from '../route-doc';

/** People administration (docs/people.md): a user's profile, 在职继承, WeCom customer transfers, data health. */
export const peopleRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/users/transfers',
    tag: 'directory',
    summary: '企业微信客户转接 Customer transfers',
    auth: 'session',
    roles: ['admin'],
    description:
      '离职继承与在职继承的每位外部联系人一行：queued → sent（企业微信已受理）→ waiting（等待客户，24 小时后自动接替）→ done；或 failed（含原因与 errcode，`status=failed` 列出需要处理的）。',
    query: transferListQuerySchema,
    success: ok('`{items:[{id, kind, handover, takeover, externalUserId, status, attempts, errcode, error, reason, …}], page, pageSize, total}`'),
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/users/transfers/retry',
    tag: 'directory',
    summary: '重试失败的客户转接 Retry failed transfers',
    auth: 'session',
    roles: ['admin'],
    description: '把所列（或全部）失败的转接放回队列，可指定新的接替人（需在职且有企业微信账号）。逐条审计。',
    body: json(transferRetrySchema, { ids: [12, 13] }),
    success: ok('`{retried, ids}`'),
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/users/{id}',
    tag: 'directory',
    summary: '人员详情 A user',
    auth: 'session',
    roles: ['supervisor', 'ops', 'director', 'admin'],
    rolesNote: '主管只能查看本组织及下级的人',
    success: ok(
      '`{id, name, role, active, wecomUserId, dingtalkUserId, orgUnit, manager, pools:[{poolId, name, weight, cap, shifts}], openLeads, customerTransfers}`',
    ),
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/users/{id}/reassign',
    tag: 'directory',
    summary: '在职转接 Hand a member’s leads and customers to another',
    auth: 'session',
    roles: ['admin'],
    description:
      '把该成员的未结束线索（全部或所列）交给另一位在职顾问或主管，每条线索的时间线和审计记录原因；`customers:true` 且配置了企业微信时，排队在职继承（externalcontact/transfer_customer）其外部联系人。',
    body: json(reassignSchema, { toUserId: 5, leads: 'all', customers: true, reason: '调岗' }),
    success: ok('`{from, to, leads, moved, transfersQueued, wecom}`'),
    errors: [404],
  },
];
