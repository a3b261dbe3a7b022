import { z } from 'zod';
import {
  eventSourceCreateSchema,
  eventSourceUpdateSchema,
  inboundDismissSchema,
  inboundEventListSchema,
  inboundResolveSchema,
  webhookCreateSchema,
  webhookDeliveryListSchema,
  webhookUpdateSchema,
  partnerCreateSchema,
  partnerPageSchema,
  partnerUpdateSchema,
  referralListSchema,
  referralRejectSchema,
  referralSchema,
  consistencyRunSchema,
  consistencyUploadSchema,
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
    roles: ['ops', 'admin'],
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
    success: ok(
      '`{items:[{id, eventId, kind, status, reason, customerId, leadId, occurredAt, receivedAt, source, payload}], total, page, pageSize}`（手机号按查看者脱敏）',
    ),
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
  ...webhookAdminDocs(),
  ...partnerDocs(),
  ...consistencyDocs(),
];

function webhookAdminDocs(): RouteDoc[] {
  const base = { tag: 'integrations', auth: 'session', roles: ['admin'] } as const;
  const SUB = '`{id, url, events, description, active, paused, pausedAt, pauseReason, consecutiveFailures}`';
  const DELIVERY =
    '`{id, eventId, eventType, state: pending|delivered|failed, attempts, nextAttemptAt, lastStatus, lastError, log:[{at, status, ms, error}], payload}`';
  return [
    {
      ...base,
      method: 'get',
      path: '/api/webhooks',
      summary: 'Webhook 订阅 Webhook subscriptions',
      success: ok(`\`{items:[${SUB.slice(1, -1)} + last7d]}\``),
      errors: [403],
    },
    {
      ...base,
      method: 'post',
      path: '/api/webhooks',
      summary: '新建 Webhook 订阅 Subscribe a URL',
      description: '回答中的 `secret` 只出现这一次。事件与载荷见文档的 webhooks 部分。',
      body: json(webhookCreateSchema, { url: 'https://erp.example.com/lifeline', events: ['lead.won', 'followup.created'] }),
      success: ok(`${SUB} 及 \`secret\``, 201),
      errors: [400, 403],
    },
    {
      ...base,
      method: 'patch',
      path: '/api/webhooks/{id}',
      summary: '修改 Webhook 订阅 Change a subscription',
      description: '`active:true` 同时解除自动暂停；`rotateSecret:true` 生成新密钥（只返回这一次）。',
      body: json(webhookUpdateSchema, { active: true }),
      success: ok(`${SUB}，\`changed\`，换密钥时含 \`secret\``),
      errors: [400, 403, 404],
    },
    {
      ...base,
      method: 'delete',
      path: '/api/webhooks/{id}',
      summary: '删除 Webhook 订阅 Remove a subscription',
      success: ok('`{id, deleted:true}`'),
      errors: [403, 404],
    },
    {
      ...base,
      method: 'get',
      path: '/api/webhooks/{id}/deliveries',
      summary: '发送记录 Delivery log',
      query: webhookDeliveryListSchema,
      success: ok(`\`{items:[${DELIVERY.slice(1, -1)}], total, page, pageSize}\``),
      errors: [403, 404],
    },
    {
      ...base,
      method: 'post',
      path: '/api/webhooks/{id}/deliveries/{deliveryId}/replay',
      summary: '重放 Replay a delivery',
      description: '事件编号不变，重新发送（已送达或已失败的记录）。',
      pathParams: { deliveryId: { schema: z.number().int().positive(), description: '发送记录 ID' } },
      success: ok(DELIVERY),
      errors: [403, 404, 409],
    },
    { ...base, method: 'post', path: '/api/webhooks/{id}/ping', summary: '发送测试事件 Send a ping', success: ok(DELIVERY, 201), errors: [403, 404] },
  ];
}

function partnerDocs(): RouteDoc[] {
  const PROGRESS =
    '`{ref, submittedAt, status: pending|approved|rejected, reason, name, phone（脱敏）, lead: {stage, status, lastContactDate, deleted} | null}`';
  const partnerKey = { tag: 'integrations', auth: 'partner', roles: 'anyone', rolesNote: '合作方密钥：请求头 X-Partner-Key' } as const;
  const admin = { tag: 'integrations', auth: 'session', roles: ['admin'] } as const;
  const review = { tag: 'integrations', auth: 'session', roles: ['supervisor', 'ops', 'admin'] } as const;
  return [
    {
      ...partnerKey,
      method: 'post',
      path: '/api/partner/leads',
      summary: '合作方推荐线索 Refer a lead',
      description:
        '渠道标签为合作方的标签；合作方设置为需审核时先进入待审核，主管通过后才成为线索。同一 `ref` 再次提交返回第一次的结果（200，`Idempotent-Replayed: true`）。',
      body: json(referralSchema, { ref: 'QM-0001', phone: '13915440001', name: '王妈妈', grade: '初三' }),
      success: [
        { status: 201, description: PROGRESS },
        { status: 200, description: '重复提交：第一次的结果', headers: [{ name: 'Idempotent-Replayed', description: '`true`' }] },
      ],
      errors: [400, 401],
    },
    {
      ...partnerKey,
      method: 'get',
      path: '/api/partner/leads',
      summary: '合作方查看推荐进度 Referral progress',
      description: '只有本合作方推荐的线索：阶段、状态、最近联系日期；手机号脱敏，不含跟进内容和负责人。',
      query: partnerPageSchema,
      success: ok(`\`{items:[${PROGRESS.slice(1, -1)}], total, page, pageSize}\``),
      errors: [400, 401],
    },
    {
      ...admin,
      method: 'get',
      path: '/api/partners',
      summary: '合作方 Partners',
      success: ok('`{items:[{id, name, tag, requireApproval, active}]}`'),
      errors: [403],
    },
    {
      ...admin,
      method: 'post',
      path: '/api/partners',
      summary: '新建合作方 Create a partner',
      description: '回答中的 `key` 只出现这一次，服务器只存其 SHA-256。',
      body: json(partnerCreateSchema, { name: '启明教育', tag: '渠道商-启明教育', requireApproval: true }),
      success: ok('合作方及 `key`', 201),
      errors: [400, 403],
    },
    {
      ...admin,
      method: 'patch',
      path: '/api/partners/{id}',
      summary: '修改合作方 Change a partner',
      body: json(partnerUpdateSchema, { rotateKey: true }),
      success: ok('合作方，`changed`，换密钥时含 `key`'),
      errors: [400, 403, 404],
    },
    {
      ...review,
      method: 'get',
      path: '/api/partner-referrals',
      summary: '合作方推荐列表 Partner referrals',
      query: referralListSchema,
      success: ok('`{items:[{id, partner, ref, status, reason, leadId, fields, createdAt}], total, page, pageSize}`'),
      errors: [400, 403],
    },
    {
      ...review,
      method: 'post',
      path: '/api/partner-referrals/{id}/approve',
      summary: '通过推荐 Approve a referral',
      description: '创建线索（与新线索一样自动分配）；已处理的返回 409。',
      success: ok('`{id, status:"approved", leadId}`'),
      errors: [403, 404, 409],
    },
    {
      ...review,
      method: 'post',
      path: '/api/partner-referrals/{id}/reject',
      summary: '不通过推荐 Reject a referral',
      body: json(referralRejectSchema, { reason: '重复推荐' }),
      success: ok('`{id, status:"rejected", reason}`'),
      errors: [400, 403, 404, 409],
    },
  ];
}

function consistencyDocs(): RouteDoc[] {
  const base = { tag: 'integrations', auth: 'session', roles: ['ops', 'admin'] } as const;
  const RUN =
    '`{id, source, origin: pull|upload|monthly, month, rows, checks, matched, rate, belowTarget, differenceCount, differences:[{customerId, phone（脱敏）, field, label, ours, theirs, ownerId}]}`';
  return [
    {
      ...base,
      method: 'get',
      path: '/api/consistency/runs',
      summary: '对账记录 Consistency runs',
      success: ok('`{target: 0.999, items:[…]}`（不含差异明细）'),
      errors: [403],
    },
    { ...base, method: 'get', path: '/api/consistency/runs/{id}', summary: '一次对账的差异 A run and its differences', success: ok(RUN), errors: [403, 404] },
    {
      ...base,
      method: 'post',
      path: '/api/consistency/runs',
      summary: '立即对账 Compare with a source now',
      description:
        '向来源的对账地址（pullUrl）发 GET（签名同 Webhook，对空请求体签名），回答应为 JSON 数组或 `{items:[…]}`，每项 `{phone|customer_id, name?, amount?, paid?, service_status?}`。比较客户名称、合同金额（已回款金额）、回款状态（是否已签约）、服务状态（是否有未关闭工单）；差异发给各客户的负责人。',
      body: json(consistencyRunSchema, { sourceId: 1 }),
      success: ok(RUN, 201),
      errors: [400, 403, 404, 409, 502],
    },
    {
      ...base,
      method: 'post',
      path: '/api/consistency/upload',
      summary: '上传对方导出文件对账 Compare with an uploaded export',
      description: 'CSV 或 .xlsx，第一行为表头：手机号（或客户ID）、客户名称、合同金额、回款状态、服务状态。',
      query: consistencyUploadSchema,
      body: { kind: 'raw', contentType: 'text/csv', description: 'CSV（UTF-8 或 GBK）或 .xlsx 文件内容（最多 10 MB）' },
      success: ok(RUN, 201),
      errors: [400, 403, 404, 413],
    },
  ];
}
