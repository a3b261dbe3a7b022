import {
  devLoginSchema, followupCreateSchema, leadCreateSchema, leadListQuerySchema, leadUpdateSchema, userUpdateSchema,
} from '@lifeline/shared';
import { json, ok, type RouteDoc } from '../route-doc';
import { idempotencyKeyHeader, lookupQueryDoc } from '../doc-schemas';

const KEY_ROLES = ['supervisor', 'admin'] as const;

export const systemRoutes: RouteDoc[] = [
  { method: 'get', path: '/healthz', tag: 'system', summary: '健康检查 Health check', auth: 'none', roles: 'anyone',
    description: '`projector`：派生数据（看板事实、汇总、会话标记、提醒计时器）的积压、最早未投影变更、失败数、水位线，以及本进程最近 `lagWindow` 秒（默认 60）的投影延迟。有投影持续失败时 `status` 为 `degraded`。',
    success: ok('`{"status":"ok"|"degraded","db":"sqlite"|"mysql","projector":{backlog, oldestChangeAt, failing, watermark, lastError, lagMs:{count,p50,p99,max}}}`'), errors: [] },
  { method: 'get', path: '/api/openapi.json', tag: 'system', summary: 'OpenAPI 3.1 文档 This document', auth: 'none', roles: 'anyone',
    success: ok('本文档（由 shared/ 的 zod 校验规则生成）'), errors: [] },
  { method: 'get', path: '/api/docs', tag: 'system', summary: '接口文档页面 Readable API reference', auth: 'none', roles: 'anyone',
    success: [{ status: 200, description: '由本文档生成的 HTML 页面', contentType: 'text/html' }], errors: [] },
];

export const authRoutes: RouteDoc[] = [
  { method: 'post', path: '/api/auth/dev-login', tag: 'auth', summary: '演示登录 Demo sign-in', demoOnly: true,
    description: '按 userId，或按角色取该角色第一个在职用户。仅演示模式和测试提供。', auth: 'none', roles: 'anyone',
    body: json(devLoginSchema, { role: 'rep' }), success: ok('`{token, user}`，token 用作 `Authorization: Bearer`'), errors: [404] },
  { method: 'get', path: '/api/me', tag: 'auth', summary: '当前用户 The signed-in user', auth: 'session', roles: 'signed-in',
    success: ok('`{id, name, role, roleLabel, companyId, orgUnitId, scope, canExport}`'), errors: [] },
];

export const directoryRoutes: RouteDoc[] = [
  { method: 'get', path: '/api/users', tag: 'directory', summary: '人员列表 People in scope', auth: 'session', roles: 'signed-in',
    rolesNote: '只列出调用者可见范围内的人', success: ok('`{items}`'), errors: [] },
  { method: 'patch', path: '/api/users/{id}', tag: 'directory', summary: '修改用户 Change a user', auth: 'session', roles: ['admin'],
    description: '角色、停用/启用、组织、上级；逐字段审计，立即对该用户的下一次写操作生效。管理员不能停用自己或改自己的角色。',
    body: json(userUpdateSchema, { active: false }), success: ok('`{user, changed}`'), errors: [403, 404] },
  { method: 'get', path: '/api/org-units', tag: 'directory', summary: '组织列表 Org units in scope', auth: 'session', roles: 'signed-in',
    success: ok('`{items:[{id, name, kind, parentId, supervisorId}]}`'), errors: [] },
  { method: 'get', path: '/api/meta', tag: 'directory', summary: '表单词表 Vocabulary for forms', auth: 'session', roles: 'signed-in',
    success: ok('跟进动作、快捷短语、年级、关注点、旅程节点、状态、课程等'), errors: [] },
];

export const customerRoutes: RouteDoc[] = [
  { method: 'get', path: '/api/customers/lookup', tag: 'customers', summary: '按手机号查客户 Phone lookup', auth: 'session', roles: 'signed-in',
    description: '返回规范化号码、号段归属地（仅供参考）和客户；别人的客户只返回 `{visible:false, name, owners}`。',
    query: lookupQueryDoc, success: ok('`{normalized, valid, masked, error, attribution, customer}`'), errors: [] },
  { method: 'get', path: '/api/customers/{id}', tag: 'customers', summary: '客户详情 A customer', auth: 'session', roles: 'signed-in',
    rolesNote: '限可见范围；手机号按公司设置脱敏', success: ok('客户'), errors: [403, 404] },
  { method: 'post', path: '/api/customers/{id}/reveal-phone', tag: 'customers', summary: '查看完整手机号 Reveal phone', auth: 'session',
    roles: ['supervisor', 'ops', 'director', 'admin'], description: '写一条 `reveal` 审计记录。', success: ok("`{id, phone}`"), errors: [403, 404] },
  { method: 'delete', path: '/api/customers/{id}', tag: 'customers', summary: '删除客户（软删除） Soft-delete a customer', auth: 'session',
    roles: ['admin'], description: '客户还有未删除的线索时拒绝（409）。', success: ok('`{id, deletedAt}`'), errors: [403, 404, 409] },
  { method: 'post', path: '/api/customers/{id}/restore', tag: 'customers', summary: '恢复客户 Restore a customer', auth: 'session',
    roles: ['admin'], success: ok('`{id, deletedAt}`'), errors: [403, 404, 409] },
];

export const leadRoutes: RouteDoc[] = [
  { method: 'post', path: '/api/leads', tag: 'leads', summary: '新建线索 Create a lead', auth: 'session',
    roles: ['rep', 'supervisor', 'ops', 'admin'], rolesNote: '顾问只能为自己建线索',
    description: '已知手机号（任意格式）挂到已有客户，补齐空字段并合并关注点/标签；不指定负责人时按分配规则路由。',
    body: json(leadCreateSchema, { phone: '139 1544 7788', channel: '抖音直播', name: '李妈妈', city: '苏州', grade: '初三', concerns: ['升学政策'] }),
    success: ok('`{lead, customerCreated, attachedToExisting}`', 201), errors: [403] },
  { method: 'get', path: '/api/leads', tag: 'leads', summary: '线索列表 List leads', auth: 'session', roles: 'signed-in',
    rolesNote: '顾问看自己的，主管看下属组织的，运营/总监/管理员看全公司；回收站（deleted=true）仅主管/管理员',
    query: leadListQuerySchema, success: ok('`{items, total, page, pageSize}`'), errors: [403] },
  { method: 'get', path: '/api/leads/{id}', tag: 'leads', summary: '线索详情 A lead', auth: 'session', roles: 'signed-in',
    rolesNote: '限可见范围', success: ok('线索及客户、评分说明和 `timeline`'), errors: [403, 404] },
  { method: 'patch', path: '/api/leads/{id}', tag: 'leads', summary: '修改线索 Update a lead', auth: 'session',
    roles: ['rep', 'supervisor', 'admin'], rolesNote: '顾问限自己的线索；ownerId、status、lostReason 及阶段回退仅主管/管理员',
    description: '逐字段审计；评分重算；阶段只能经「已签约」跟进进入签约转化。',
    body: json(leadUpdateSchema, { grade: '初三', concerns: ['升学政策', '学科提分'] }), success: ok('线索'), errors: [403, 404, 409] },
  { method: 'post', path: '/api/leads/{id}/claim', tag: 'leads', summary: '认领线索 Claim a lead', auth: 'session', roles: ['rep', 'supervisor'],
    rolesNote: '仅线索负责人本人', description: '只记录一次 `claimedAt`（重复认领无副作用）；停止未认领升级提醒。', success: ok('线索'), errors: [403, 404] },
  { method: 'delete', path: '/api/leads/{id}', tag: 'leads', summary: '删除线索（进回收站） Soft-delete a lead', auth: 'session',
    roles: KEY_ROLES, success: ok('线索'), errors: [403, 404, 409] },
  { method: 'post', path: '/api/leads/{id}/restore', tag: 'leads', summary: '恢复线索 Restore a lead', auth: 'session',
    roles: KEY_ROLES, success: ok('线索'), errors: [403, 404, 409] },
  { method: 'get', path: '/api/leads/{id}/timeline', tag: 'leads', summary: '线索时间线 Timeline', auth: 'session', roles: 'signed-in',
    rolesNote: '限可见范围', success: ok('`{leadId, items:[{at, when, kind, text, actorName, …}]}`'), errors: [403, 404] },
  { method: 'get', path: '/api/leads/{id}/followups', tag: 'leads', summary: '线索的跟进记录 Follow-ups of a lead', auth: 'session',
    roles: 'signed-in', rolesNote: '限可见范围', success: ok('`{items}`，新的在前'), errors: [403, 404] },
  { method: 'get', path: '/api/leads/{id}/audit', tag: 'leads', summary: '审计记录 Audit trail', auth: 'session', roles: 'signed-in',
    rolesNote: '限可见范围', success: ok('`{items}`：线索、其客户和跟进的审计行'), errors: [403, 404] },
];

export const followupRoutes: RouteDoc[] = [
  { method: 'post', path: '/api/followups', tag: 'followups', summary: '记录跟进 Record a follow-up', auth: 'session',
    roles: ['rep', 'supervisor', 'admin'], rolesNote: '顾问限自己的线索，主管限下属组织',
    description: '一个事务写入跟进、首次/最近跟进时间、旅程节点、下一步提醒和审计。请求编号必填：请求头 `Idempotency-Key` 或请求体 `clientRequestId`。「已签约」须带 signedCourse。',
    headers: [idempotencyKeyHeader],
    body: json(followupCreateSchema, {
      leadId: 1, action: '已电话沟通', conclusion: '家长关心中考政策，预算有限', nextStep: { at: '2026-01-20T15:00:00+08:00', action: '再次跟进' },
      clientRequestId: 'b7f3c2e0-6a1d-4c1e-9f0a-2d5e8c4a1b90',
    }),
    success: [
      { status: 201, description: '跟进记录（含 `lead` 摘要：状态、节点、跟进时间、下一步）' },
      { status: 200, description: '同一请求编号的重放：首次的结果，未再写入', headers: [{ name: 'Idempotent-Replayed', description: '`true`' }] },
    ],
    errors: [403, 404, 409] },
  { method: 'delete', path: '/api/followups/{id}', tag: 'followups', summary: '删除跟进（软删除） Soft-delete a follow-up', auth: 'session',
    roles: ['rep', 'supervisor', 'admin'], rolesNote: '作者本人、主管、管理员', description: '重算线索的首次/最近跟进时间。',
    success: ok('跟进记录'), errors: [403, 404, 409] },
  { method: 'post', path: '/api/followups/{id}/restore', tag: 'followups', summary: '恢复跟进 Restore a follow-up', auth: 'session',
    roles: ['rep', 'supervisor', 'admin'], rolesNote: '作者本人、主管、管理员', success: ok('跟进记录'), errors: [403, 404, 409] },
];
