import { z } from 'zod';
import {
  eventSourceCreateSchema,
  eventSourceUpdateSchema,
  inboundDismissSchema,
  inboundEventListSchema,
  inboundResolveSchema,
} from '@lifeline/shared/src/integrations';
import { json, ok, type RouteDoc } from '../route-doc';

const SIGNED_HEADERS = [
  { name: 'X-Lifeline-Timestamp', required: true, description: 'Unix 秒；与服务器时间相差超过 ±5 分钟即拒绝' },
  { name: 'X-Lifeline-Signature', required: true, description: 'hex HMAC-SHA256(来源密钥, `${timestamp}.${原始请求体}`)' },
];

const EVENT_VIEW = '`{id, eventId, kind, status: applied|parked|dismissed, reason, customerId, leadId, occurredAt, receivedAt}`';

/** The integration hub (docs/integrations.md). */
export const integrationRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/events/in/{source}',
    tag: 'integrations',
    summary: '接收业务事件 Receive a business event',
    auth: 'signed-request',
    roles: 'anyone',
    rolesNote: '按来源的密钥签名',
    description:
      '财务回款（finance）：线索标记为已签约并记入回款金额；售后工单（after_sales）：记入客户的工单，更新客户健康分，故障工单处理中时客户卡片显示“售后工单处理中，勿推新品”；其他（custom）：记入客户时间线。字段位置由来源的 JSON 路径映射决定。同一事件编号再次发送：内容相同返回 200 和 `Idempotent-Replayed: true`，内容不同返回 409。找不到客户或线索的事件进入待处理列表（parked），不会丢弃。',
    pathParams: { source: { schema: z.string(), description: '来源代码' } },
    headers: SIGNED_HEADERS,
    body: { kind: 'raw', contentType: 'application/json', description: '来源系统自己的 JSON（最多 64KB）' },
    success: [
      { status: 201, description: `${EVENT_VIEW}（+ note）` },
      { status: 200, description: '重复发送：第一次的结果', headers: [{ name: 'Idempotent-Replayed', description: '`true`' }] },
    ],
    errors: [400, 401, 404, 409, 413, 415],
  },
  {
    method: 'get',
    path: '/api/event-sources',
    tag: 'integrations',
    summary: '事件来源列表 Event sources',
    auth: 'session',
    roles: ['admin'],
    success: ok('`{items:[{id, code, name, kind, mapping, faultCategories, active, url}]}`（不含密钥）'),
    errors: [403],
  },
  {
    method: 'post',
    path: '/api/event-sources',
    tag: 'integrations',
    summary: '新建事件来源 Create an event source',
    auth: 'session',
    roles: ['admin'],
    description: '回答中的 `secret` 只出现这一次。不填 `mapping` 时用默认映射（`$.id`、`$.phone`、`$.amount`、`$.contract_no`…）。',
    body: json(eventSourceCreateSchema, { code: 'kingdee', name: '金蝶财务', kind: 'finance' }),
    success: ok('来源及 `secret`', 201),
    errors: [400, 403],
  },
  {
    method: 'patch',
    path: '/api/event-sources/{id}',
    tag: 'integrations',
    summary: '修改事件来源 Change an event source',
    auth: 'session',
    roles: ['admin'],
    description: '`rotateSecret:true` 生成新密钥（只返回这一次），旧密钥立即失效。',
    body: json(eventSourceUpdateSchema, { rotateSecret: true }),
    success: ok('来源，`changed`，换密钥时含 `secret`'),
    errors: [400, 403, 404],
  },
  {
    method: 'get',
    path: '/api/inbound-events',
    tag: 'integrations',
    summary: '业务事件与待处理列表 Inbound events and the review list',
    auth: 'session',
    roles: ['ops', 'admin'],
    query: inboundEventListSchema,
    success: ok(`\`{items:[${EVENT_VIEW.slice(2, -2)}, source, payload}], total, page, pageSize}\`（手机号按查看者脱敏）`),
    errors: [400, 403],
  },
  {
    method: 'post',
    path: '/api/inbound-events/{id}/resolve',
    tag: 'integrations',
    summary: '指定客户后处理 Resolve a parked event',
    auth: 'session',
    roles: ['ops', 'admin'],
    body: json(inboundResolveSchema, { customerId: 42 }),
    success: ok(EVENT_VIEW),
    errors: [400, 403, 404, 409],
  },
  {
    method: 'post',
    path: '/api/inbound-events/{id}/dismiss',
    tag: 'integrations',
    summary: '忽略待处理事件 Dismiss a parked event',
    auth: 'session',
    roles: ['ops', 'admin'],
    body: json(inboundDismissSchema, { reason: '测试数据' }),
    success: ok(EVENT_VIEW),
    errors: [400, 403, 404, 409],
  },
];
