import { z } from 'zod';
import { channelCreateSchema, channelUpdateSchema } from '@lifeline/shared/src/intake';
import { dryRunSchema, poolSchema, queueAssignSchema, ruleSetSchema, scoreWeightsSchema } from '@lifeline/shared/src/routing';
import { contentItemSchema } from '../../content/content.service';
import { json, ok, type RouteDoc } from '../route-doc';
import { importQueryDoc } from '../doc-schemas';

const CHANNEL_ADMINS = ['admin', 'ops'] as const;

export const intakeRoutes: RouteDoc[] = [
  { method: 'post', path: '/api/intake/{code}', tag: 'intake', summary: '接入一条线索 Receive a lead from a channel', auth: 'intake',
    roles: 'anyone', rolesNote: '渠道凭证：请求头 X-Intake-Key；抖音渠道用签名（X-Douyin-Timestamp、X-Douyin-Signature）',
    description: '按渠道的 JSON 路径映射取字段；同一平台编号再次推送返回 200 `{leadId, replayed:true}` 和 `Idempotent-Replayed: true`。',
    pathParams: { code: { schema: z.string(), description: '渠道代码' } },
    headers: [
      { name: 'X-Douyin-Timestamp', required: false, description: '抖音推送：Unix 秒，±5 分钟内' },
      { name: 'X-Douyin-Signature', required: false, description: '抖音推送：hex HMAC-SHA256(timestamp + "\\n" + 原始请求体)' },
    ],
    body: { kind: 'raw', contentType: 'application/json', description: '渠道自己的 JSON，字段位置由渠道的 mapping 决定' },
    success: [
      { status: 201, description: '`{leadId, customerId, status, owner, score, attachedToExisting, warnings}`' },
      { status: 200, description: '重复推送：`{leadId, replayed:true}`', headers: [{ name: 'Idempotent-Replayed', description: '`true`' }] },
    ],
    errors: [400, 401, 404, 413, 415, 503] },
  { method: 'get', path: '/api/intake-channels', tag: 'intake', summary: '接入渠道列表 Intake channels', auth: 'session',
    roles: CHANNEL_ADMINS, success: ok('`{items}`'), errors: [403] },
  { method: 'post', path: '/api/intake-channels', tag: 'intake', summary: '新建接入渠道 Create a channel', auth: 'session',
    roles: CHANNEL_ADMINS, description: '回答中的接入密钥只出现这一次，服务器只存其 SHA-256。',
    body: json(channelCreateSchema, { code: 'landing-0115', name: '落地页', tag: '抖音-202601直播', mapping: { phone: '$.form.mobile', externalId: '$.id' } }),
    success: ok('渠道及 `key`', 201), errors: [403, 409] },
  { method: 'patch', path: '/api/intake-channels/{id}', tag: 'intake', summary: '修改接入渠道 Change a channel', auth: 'session',
    roles: CHANNEL_ADMINS, description: '`rotateKey: true` 换新密钥（只返回一次）。', body: json(channelUpdateSchema, { active: false }),
    success: ok('渠道'), errors: [403, 404] },
  { method: 'get', path: '/api/leads/{id}/intake', tag: 'intake', summary: '线索的原始接入内容 Raw intake payloads', auth: 'session',
    roles: 'signed-in', rolesNote: '限可见范围', success: ok('`{items}`'), errors: [403, 404] },
  { method: 'post', path: '/api/imports', tag: 'intake', summary: '导入 Excel/CSV Import a file', auth: 'session',
    roles: ['ops', 'supervisor', 'admin'], query: importQueryDoc,
    description: '请求体就是文件本身（任意 Content-Type，最大 IMPORT_MAX_BYTES）。每行一个事务：created / merged / rejected。',
    headers: [{ name: 'Prefer', required: false, description: '`wait`：等导入完成后返回完整报告' }],
    body: { kind: 'raw', contentType: 'application/octet-stream', description: '.xlsx 或 .csv 文件（CSV 可为 UTF-8 或 GB18030）' },
    success: [{ status: 202, description: '导入任务（`Prefer: wait` 时为带逐行报告的完成结果）' }], errors: [403, 413] },
  { method: 'get', path: '/api/imports', tag: 'intake', summary: '导入任务列表 Import jobs', auth: 'session', roles: 'signed-in',
    rolesNote: '运营/管理员看全部，其他人看自己的', success: ok('`{items}`'), errors: [] },
  { method: 'get', path: '/api/imports/{id}', tag: 'intake', summary: '导入任务进度与报告 An import job', auth: 'session', roles: 'signed-in',
    rolesNote: '运营/管理员看全部，其他人看自己的', success: ok('`total, processed, progress` 与逐行报告'), errors: [404] },
];

export const routingRoutes: RouteDoc[] = [
  { method: 'get', path: '/api/scoring/weights', tag: 'routing', summary: '评分权重 Score weights', auth: 'session', roles: 'signed-in',
    success: ok('`{weights, levelA, …}`'), errors: [] },
  { method: 'put', path: '/api/scoring/weights', tag: 'routing', summary: '保存评分权重 Save score weights', auth: 'session', roles: ['admin'],
    description: '保存后重算所有有效线索的评分（有变化的逐条审计）。',
    body: json(scoreWeightsSchema, { weights: [{ field: 'grade', value: '初三', points: 30 }], levelA: 60 }), success: ok('权重与重算结果'), errors: [403] },
  { method: 'post', path: '/api/scoring/recompute', tag: 'routing', summary: '重算评分 Re-score all leads', auth: 'session', roles: ['admin'],
    success: ok('重算结果（幂等）'), errors: [403] },
  { method: 'get', path: '/api/routing/rules', tag: 'routing', summary: '当前分配规则 Current rule set', auth: 'session', roles: 'signed-in',
    success: ok('当前规则集及所有版本'), errors: [] },
  { method: 'get', path: '/api/routing/rules/{version}', tag: 'routing', summary: '某一版本的规则 A rule-set version', auth: 'session',
    roles: 'signed-in', pathParams: { version: { schema: z.coerce.number().int().positive(), description: '版本号' } },
    success: ok('规则集'), errors: [404] },
  { method: 'put', path: '/api/routing/rules', tag: 'routing', summary: '保存分配规则（新版本） Save rules as a new version', auth: 'session',
    roles: ['admin'], body: json(ruleSetSchema), success: ok('新版本'), errors: [403, 409] },
  { method: 'get', path: '/api/routing/pools', tag: 'routing', summary: '线索池 Pools', auth: 'session', roles: 'signed-in',
    success: ok('线索池及成员、游标、队列长度、成员在手线索数'), errors: [] },
  { method: 'post', path: '/api/routing/pools', tag: 'routing', summary: '新建线索池 Create a pool', auth: 'session', roles: ['admin'],
    body: json(poolSchema), success: ok('线索池', 201), errors: [403] },
  { method: 'put', path: '/api/routing/pools/{id}', tag: 'routing', summary: '修改线索池 Replace a pool', auth: 'session', roles: ['admin'],
    body: json(poolSchema), success: ok('线索池'), errors: [403, 404] },
  { method: 'post', path: '/api/routing/dry-run', tag: 'routing', summary: '试分配 Dry run', auth: 'session', roles: 'signed-in',
    description: '返回评分明细、命中规则和版本、线索池、会分给谁及跳过的人和原因；不写入，不动游标。',
    body: json(dryRunSchema, { city: '苏州', grade: '初三', channel: '抖音直播' }), success: ok('分配说明'), errors: [] },
  { method: 'get', path: '/api/routing/queue', tag: 'routing', summary: '轮转队列 Rotation queue', auth: 'session',
    roles: ['supervisor', 'ops', 'director', 'admin'], rolesNote: '主管限下属组织', success: ok('没有分出去的线索'), errors: [403] },
  { method: 'post', path: '/api/routing/queue/{id}/assign', tag: 'routing', summary: '手工分配队列中的线索 Assign a queued lead',
    auth: 'session', roles: ['supervisor', 'admin'], body: json(queueAssignSchema), success: ok('线索'), errors: [403, 404, 409] },
  { method: 'get', path: '/api/leads/{id}/routing', tag: 'routing', summary: '线索的分配记录 Routing decisions of a lead', auth: 'session',
    roles: 'signed-in', rolesNote: '限可见范围', success: ok('每次分配：规则与版本、线索池、游标前后、跳过的人和原因、选中的人'), errors: [403, 404] },
];

export const contentRoutes: RouteDoc[] = [
  { method: 'get', path: '/api/customers/{id}/content-queue', tag: 'content', summary: '客户的待发资料 Content queued for a customer',
    auth: 'session', roles: 'signed-in', rolesNote: '限可见范围', success: ok('`{items:[{id, title, url, reason}]}`'), errors: [403, 404] },
  { method: 'post', path: '/api/content-queue/{id}/sent', tag: 'content', summary: '标记资料已发送 Mark content sent', auth: 'session',
    roles: ['rep', 'supervisor', 'admin'], rolesNote: '限可见范围；运营、总监只读', description: '幂等：第二次返回第一次的 `sentAt`；审计。', success: ok('队列项'), errors: [403, 404] },
  { method: 'get', path: '/api/content/items', tag: 'content', summary: '标签→资料映射 Tag → material mapping', auth: 'session',
    roles: 'signed-in', success: ok('`{items}`'), errors: [] },
  { method: 'post', path: '/api/content/items', tag: 'content', summary: '新增资料映射 Add a mapping', auth: 'session', roles: CHANNEL_ADMINS,
    body: json(contentItemSchema, { tag: '摇号焦虑', title: '民办摇号攻略', url: 'https://example.com/lottery.pdf' }), success: ok('映射', 201), errors: [403] },
  { method: 'delete', path: '/api/content/items/{id}', tag: 'content', summary: '删除资料映射 Remove a mapping', auth: 'session',
    roles: CHANNEL_ADMINS, success: ok('映射'), errors: [403, 404] },
];
