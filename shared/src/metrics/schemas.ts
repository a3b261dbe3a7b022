import { z } from 'zod';
import { plainText } from '../schemas/text';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD（中国时间）');

/**
 * Filters every dashboard accepts. `from`/`to` are China-time calendar days, inclusive, on the
 * lead's entry time. Defaults: the last 30 days up to today.
 */
export const metricsFilterSchema = z.object({
  from: day.optional(),
  to: day.optional(),
  /** An org unit (centre or team): its whole subtree. */
  unitId: z.coerce.number().int().positive('组织 ID 必须是正整数').optional(),
  repId: z.coerce.number().int().positive('顾问 ID 必须是正整数').optional(),
  city: plainText('城市', 16).min(1).optional(),
  grade: plainText('年级', 8).min(1).optional(),
  channel: plainText('渠道', 64).min(1).optional(),
});
export type MetricsFilter = z.infer<typeof metricsFilterSchema>;

const HEAT_DIMENSIONS = ['city', 'grade', 'channel', 'unit'] as const;
export type HeatDimension = (typeof HEAT_DIMENSIONS)[number];

export const heatQuerySchema = metricsFilterSchema.extend({
  by: z.enum(HEAT_DIMENSIONS, { error: '分组只能是 city / grade / channel / unit' }).default('city'),
});

export const drillQuerySchema = metricsFilterSchema.extend({
  node: plainText('旅程节点', 16).min(1, '请指定旅程节点'),
  by: z.enum(HEAT_DIMENSIONS).optional(),
  value: plainText('分组值', 64).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

const EXPORT_VIEWS = ['kpis', 'lead-health', 'rep-battle', 'channel-roi', 'journey-heat'] as const;
export const exportQuerySchema = heatQuerySchema.extend({
  view: z.enum(EXPORT_VIEWS, { error: '导出视图不存在' }),
});

export const channelSpendSchema = z.object({
  channel: plainText('渠道', 64, { tooLong: '渠道名最多 64 个字' }).min(1, '请填写渠道'),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '月份格式应为 YYYY-MM'),
  /** Yuan, up to 2 decimals; stored as fen. */
  amount: z.number({ error: '金额必须是数字' }).min(0, '金额不能为负').max(100_000_000, '金额过大'),
});

export const CONVERSATION_SOURCES = ['sidebar', 'wecom', 'dingtalk'] as const;
/** A rep's conversation with a customer, reported by a chat platform integration (idempotent per rep × customer × day). */
export const conversationSchema = z
  .object({
    customerId: z.number({ error: '请提供客户 ID' }).int().positive('客户 ID 必须是正整数'),
    /** When the conversation happened (ISO 8601); default now. */
    at: z.string().datetime({ offset: true, error: '时间格式应为 ISO 8601，例如 2026-01-15T10:00:00+08:00' }).optional(),
    source: z.enum(CONVERSATION_SOURCES, { error: '来源只能是 sidebar / wecom / dingtalk' }).default('wecom'),
  })
  .strict();
