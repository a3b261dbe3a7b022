import { z } from 'zod';
import { CONCERNS, GRADES, JOURNEY_NODES, LEAD_STATUSES } from '../vocabulary';
import { phoneSchema } from '../phone';
import { idSchema, maxChars, queryBool } from './common';

const grade = z.enum(GRADES, { error: `年级只能是 ${GRADES.join('、')} 之一` });
const concerns = z
  .array(z.enum(CONCERNS, { error: `关注点只能是 ${CONCERNS.join('、')}` }))
  .max(CONCERNS.length)
  .transform((a) => [...new Set(a)]);
const tags = z
  .array(maxChars(20, '标签最多20个字').pipe(z.string().min(1, '标签不能为空')))
  .max(20, '标签最多20个')
  .transform((a) => [...new Set(a)]);
const channel = maxChars(64, '渠道标签最多64个字').pipe(z.string().trim().min(1, '请填写渠道标签'));

export const leadCreateSchema = z
  .object({
    phone: phoneSchema,
    name: maxChars(32, '称呼最多32个字').optional(),
    province: maxChars(16, '省份最多16个字').optional(),
    city: maxChars(16, '城市最多16个字').optional(),
    grade: grade.optional(),
    concerns: concerns.optional(),
    tags: tags.optional(),
    channel,
    campaign: maxChars(64, '活动名称最多64个字').optional(),
    ownerId: idSchema.optional(),
  })
  .strict();
export type LeadCreateBody = z.infer<typeof leadCreateSchema>;

export const leadUpdateSchema = z
  .object({
    name: maxChars(32, '称呼最多32个字').optional(),
    city: maxChars(16, '城市最多16个字').optional(),
    province: maxChars(16, '省份最多16个字').optional(),
    grade: grade.nullable().optional(),
    concerns: concerns.optional(),
    tags: tags.optional(),
    channel: channel.optional(),
    campaign: maxChars(64, '活动名称最多64个字').nullable().optional(),
    ownerId: idSchema.nullable().optional(),
    status: z.enum(LEAD_STATUSES, { error: `状态只能是 ${LEAD_STATUSES.join(' / ')}` }).optional(),
    lostReason: maxChars(100, '流失原因最多100个字').nullable().optional(),
    journeyNode: z.enum(JOURNEY_NODES, { error: `阶段只能是 ${JOURNEY_NODES.join(' / ')}` }).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的字段' });
export type LeadUpdateBody = z.infer<typeof leadUpdateSchema>;

export const leadListQuerySchema = z
  .object({
    owner: z.union([z.literal('me'), idSchema]).optional(),
    status: z.enum(LEAD_STATUSES, { error: `状态只能是 ${LEAD_STATUSES.join(' / ')}` }).optional(),
    node: z.enum(JOURNEY_NODES, { error: `旅程节点只能是 ${JOURNEY_NODES.join(' / ')}` }).optional(),
    overdue: queryBool.optional(),
    city: z.string().max(16).optional(),
    grade: grade.optional(),
    channel: z.string().max(64).optional(),
    deleted: queryBool.optional(),
    page: z.coerce.number().int().min(1, '页码从1开始').default(1),
    pageSize: z.coerce.number().int().min(1).max(100, '每页最多100条').default(20),
  })
  .strict();
export type LeadListQuery = z.infer<typeof leadListQuerySchema>;
