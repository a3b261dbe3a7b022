import { z } from 'zod';
import { plainText } from '../schemas/text';

const classSchema = z
  .object({
    name: plainText('信号名称', 16).pipe(z.string().trim().min(1, '请填写信号名称')),
    phrases: z
      .array(plainText('关键词', 20).pipe(z.string().trim().min(1, '关键词不能为空')))
      .min(1, '每个信号至少一个关键词')
      .max(50, '每个信号最多50个关键词'),
    points: z.number().int('分值应为整数').min(-100, '分值不能低于-100').max(100, '分值不能超过100'),
  })
  .strict();

/** PUT /api/signals/settings: any of the fields. */
export const signalSettingsPatchSchema = z
  .object({
    classes: z
      .array(classSchema)
      .max(30, '信号最多30类')
      .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, { message: '信号名称不能重复' }),
    staticShare: z.number().min(0.1, '静态因素占比不能低于10%').max(0.9, '静态因素占比不能高于90%'),
    halfLifeHours: z
      .number()
      .int('半衰期应为整数小时')
      .min(1, '半衰期至少1小时')
      .max(24 * 90, '半衰期最多90天'),
    chatRetentionDays: z.number().int('保留天数应为整数').min(0, '保留天数不能为负').max(3650, '保留天数最多3650天'),
    alarmSupervisorOnA: z.boolean({ error: 'alarmSupervisorOnA 应为 true 或 false' }),
  })
  .partial()
  .strict();
export type SignalSettingsPatch = z.infer<typeof signalSettingsPatchSchema>;

/**
 * What the chat-archive sidecar posts (docs/signals.md): messages as the WeCom archive decrypts them, reduced to what
 * the CRM uses. `from`/`to` are platform ids (a member's userid, a customer's external userid); `agree`/`disagree`
 * record the customer's consent; `voice` carries the sidecar's transcript as `text`.
 */
const chatMessageSchema = z
  .object({
    msgId: plainText('消息编号', 64).pipe(z.string().min(1, '缺少消息编号 msgId')),
    from: plainText('发送方', 64).pipe(z.string().min(1, '缺少发送方 from')),
    to: z.array(plainText('接收方', 64)).max(500).default([]),
    roomId: plainText('群聊编号', 64).optional(),
    time: z.number().int('time 应为毫秒时间戳').min(1_000_000_000_000, 'time 应为毫秒时间戳'),
    type: z.enum(['text', 'voice', 'agree', 'disagree'], { error: 'type 只能是 text、voice、agree、disagree' }),
    text: plainText('消息内容', 4000, { multiline: true }).optional(),
  })
  .strict();

export const chatMessagesSchema = z
  .object({
    messages: z.array(chatMessageSchema).min(1, '至少一条消息').max(500, '一次最多500条消息'),
  })
  .strict();
export type ChatMessagesInput = z.infer<typeof chatMessagesSchema>;
export type ChatMessageInput = ChatMessagesInput['messages'][number];
