import { z } from 'zod';
import { plainText } from '../schemas/text';

/** What an outbound webhook can subscribe to. */
export const WEBHOOK_EVENTS = [
  'lead.created',
  'lead.assigned',
  'lead.stage_changed',
  'lead.status_changed',
  'lead.won',
  'lead.deleted',
  'followup.created',
  'customer.updated',
  'customer.level_changed',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const WEBHOOK_EVENT_LABELS: Record<WebhookEvent, string> = {
  'lead.created': '新线索',
  'lead.assigned': '线索分配',
  'lead.stage_changed': '阶段变化',
  'lead.status_changed': '状态变化',
  'lead.won': '签约',
  'lead.deleted': '线索删除',
  'followup.created': '新跟进',
  'customer.updated': '客户资料变化',
  'customer.level_changed': '意向等级变化',
};

const webhookUrl = z
  .string({ error: '请填写接收地址' })
  .trim()
  .max(500, '接收地址最多500个字符')
  .refine((u) => {
    try {
      const p = new URL(u);
      return (p.protocol === 'https:' || p.protocol === 'http:') && !p.username && !p.password;
    } catch {
      return false;
    }
  }, '接收地址应为 https:// 开头的完整网址（不含用户名密码）');

const events = z
  .array(z.enum(WEBHOOK_EVENTS, { error: `可订阅的事件：${WEBHOOK_EVENTS.join('、')}` }), { error: '请选择要订阅的事件' })
  .min(1, '请至少选择一个事件')
  .max(WEBHOOK_EVENTS.length);

export const webhookCreateSchema = z.object({ url: webhookUrl, events, description: plainText('备注', 100).optional() }).strict();

export const webhookUpdateSchema = z
  .object({
    url: webhookUrl.optional(),
    events: events.optional(),
    description: plainText('备注', 100).optional(),
    /** false: stop sending (queued deliveries wait); true: send again, and lift an automatic pause. */
    active: z.boolean().optional(),
    rotateSecret: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的字段' });

export const webhookDeliveryListSchema = z
  .object({
    state: z.enum(['pending', 'delivered', 'failed'], { error: '状态只能是 pending、delivered 或 failed' }).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
  })
  .strict();

const leadPayload = z.object({
  id: z.number(),
  customerId: z.number(),
  channel: z.string(),
  campaign: z.string().nullable(),
  status: z.string().describe('pending | assigned | following | won | lost | invalid'),
  journeyNode: z.string(),
  score: z.number(),
  level: z.string().describe('A | B | C'),
  ownerId: z.number().nullable(),
  signedAt: z.string().nullable().describe('ISO 时间'),
  createdAt: z.string(),
});
const customerPayload = z.object({
  id: z.number(),
  name: z.string().nullable(),
  phone: z.string().describe('脱敏：138****8000'),
  province: z.string().nullable(),
  city: z.string().nullable(),
  grade: z.string().nullable(),
  concerns: z.array(z.string()),
  tags: z.array(z.string()),
});
const followupPayload = z.object({
  id: z.number(),
  leadId: z.number(),
  authorId: z.number(),
  action: z.string(),
  conclusion: z.string(),
  nextStepAt: z.string().nullable(),
  createdAt: z.string(),
});

/** The body of every webhook delivery (documented in the OpenAPI document's `webhooks`). */
export const webhookPayloadSchema = z.object({
  id: z.string().describe('事件编号：重放和重试时不变，用来去重'),
  type: z.enum([...WEBHOOK_EVENTS, 'webhook.ping']),
  occurredAt: z.string().describe('ISO 时间'),
  companyId: z.number(),
  data: z.object({
    lead: leadPayload.optional(),
    customer: customerPayload.optional(),
    followup: followupPayload.optional(),
    changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })).optional(),
    fromOwnerId: z.number().nullable().optional(),
  }),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
