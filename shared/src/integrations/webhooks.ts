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

const webhookUrl = plainText('接收地址', 500)
  .trim()
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
