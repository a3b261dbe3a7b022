import {
  channelSpendSchema, conversationSchema, drillQuerySchema, exportQuerySchema, heatQuerySchema, metricsFilterSchema,
} from '@lifeline/shared';
import { json, ok, type RouteDoc } from '../route-doc';

const SUPERVISOR_UP = ['supervisor', 'ops', 'director', 'admin'] as const;
const filter = metricsFilterSchema.strict();
const SCOPE_NOTE = '顾问只看自己的线索；主管限下属组织，指定范围外的 unitId/repId → 403';
const SUPERVISOR_NOTE = '主管限下属组织，指定范围外的 unitId/repId → 403；顾问 → 403';

export const metricsRoutes: RouteDoc[] = [
  { method: 'get', path: '/api/metrics/kpis', tag: 'metrics', summary: '七项 KPI Seven KPIs', auth: 'session', roles: 'signed-in',
    rolesNote: SCOPE_NOTE, query: filter, success: ok('每项 `{value, numerator, denominator, target, red}` 及 `leads`、`updatedAt`'), errors: [403] },
  { method: 'get', path: '/api/metrics/lead-health', tag: 'metrics', summary: '线索健康 Lead health', auth: 'session', roles: 'signed-in',
    rolesNote: SCOPE_NOTE, query: filter, success: ok('存活率、A 级占比、各节点到达/流失、趋势'), errors: [403] },
  { method: 'get', path: '/api/metrics/rep-battle', tag: 'metrics', summary: '顾问作战图 Rep battle map', auth: 'session',
    roles: SUPERVISOR_UP, rolesNote: SUPERVISOR_NOTE, query: filter, success: ok('每位顾问的在手、逾期、48 小时跟进率、试听转化、话术使用'), errors: [403] },
  { method: 'get', path: '/api/metrics/channel-roi', tag: 'metrics', summary: '渠道 ROI Channel ROI', auth: 'session', roles: SUPERVISOR_UP,
    rolesNote: SUPERVISOR_NOTE, query: filter, success: ok('按整月：每个渠道的线索、投放、单条成本、7 日留存、签约、首单周期'), errors: [403] },
  { method: 'get', path: '/api/metrics/journey-heat', tag: 'metrics', summary: '旅程热力图 Journey heat map', auth: 'session',
    roles: SUPERVISOR_UP, rolesNote: SUPERVISOR_NOTE, query: heatQuerySchema.strict(), success: ok('每个分组值在各节点的平均停留小时数'), errors: [403] },
  { method: 'get', path: '/api/metrics/drill', tag: 'metrics', summary: '热力图下钻 Drill into a cell', auth: 'session', roles: SUPERVISOR_UP,
    rolesNote: SUPERVISOR_NOTE, query: drillQuerySchema.strict(), success: ok('分页的线索（手机号按公司设置脱敏）'), errors: [403] },
  { method: 'get', path: '/api/metrics/export', tag: 'metrics', summary: '导出 CSV Export CSV', auth: 'session', roles: ['ops', 'director', 'admin'],
    rolesNote: '公司设置 supervisorCanExport 为 true 时主管也可导出', description: '每次导出写一条审计（entity `export`）。', query: exportQuerySchema.strict(),
    success: [{ status: 200, description: 'UTF-8 带 BOM 的 CSV，`Content-Disposition: attachment`', contentType: 'text/csv' }], errors: [403] },
  { method: 'put', path: '/api/metrics/channel-spend', tag: 'metrics', summary: '录入渠道投放 Channel spend', auth: 'session',
    roles: ['ops', 'director', 'admin'], description: '按公司 + 渠道 + 月份覆盖，以分存储，审计。',
    body: json(channelSpendSchema.strict(), { channel: '抖音直播', month: '2026-01', amount: 12000.5 }), success: ok('`{id, channel, month, amount, amountFen, updatedAt}`'), errors: [403] },
  { method: 'post', path: '/api/conversations', tag: 'metrics', summary: '记录会话 Record a conversation', auth: 'session', roles: ['rep'],
    rolesNote: '仅限自己名下有未删除线索的客户（否则 404）', description: '顾问 × 客户 × 中国日期，幂等（供聊天平台集成调用）；计入录入率 KPI。', body: json(conversationSchema, { customerId: 1, source: 'wecom' }),
    success: ok('`{id, day, firstAt, source, followed}`'), errors: [404] },
];
