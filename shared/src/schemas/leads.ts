import { z } from 'zod';
import { CONCERNS, GRADES, JOURNEY_NODES, LEAD_STATUSES } from '../vocabulary';
import { phoneSchema } from '../phone';
import { idSchema, queryBool } from './common';
import { plainText } from './text';

const grade = z.enum(GRADES, { error: `年级只能是 ${GRADES.join('、')} 之一` });
const concerns = z
  .array(z.enum(CONCERNS, { error: `关注点只能是 ${CONCERNS.join('、')}` }))
  .max(CONCERNS.length)
  .transform((a) => [...new Set(a)]);
const tags = z
  .array(plainText('标签', 20).pipe(z.string().min(1, '标签不能为空')))
  .max(20, '标签最多20个')
  .transform((a) => [...new Set(a)]);
const channel = plainText('渠道标签', 64).pipe(z.string().trim().min(1, '请填写渠道标签'));

export const leadCreateSchema = z
  .object({
    phone: phoneSchema,
    name: plainText('称呼', 32).optional(),
    province: plainText('省份', 16).optional(),
    city: plainText('城市', 16).optional(),
    grade: grade.optional(),
    concerns: concerns.optional(),
    tags: tags.optional(),
    channel,
    campaign: plainText('活动名称', 64).optional(),
    ownerId: idSchema.optional(),
  })
  .strict();
export type LeadCreateBody = z.infer<typeof leadCreateSchema>;

export const leadUpdateSchema = z
  .object({
    name: plainText('称呼', 32).optional(),
    city: plainText('城市', 16).optional(),
    province: plainText('省份', 16).optional(),
    grade: grade.nullable().optional(),
    concerns: concerns.optional(),
    tags: tags.optional(),
    channel: channel.optional(),
    campaign: plainText('活动名称', 64).nullable().optional(),
    ownerId: idSchema.nullable().optional(),
    /** KA co-owner (双人协同), set by supervisors and admins; null removes them. */
    coOwnerId: idSchema.nullable().optional(),
    /** Why the owner changes (团队 page: 分配 / 改派); audited and shown in the lead's timeline. */
    assignReason: plainText('改派原因', 100).optional(),
    status: z.enum(LEAD_STATUSES, { error: `状态只能是 ${LEAD_STATUSES.join(' / ')}` }).optional(),
    lostReason: plainText('流失原因', 100).nullable().optional(),
    journeyNode: z.enum(JOURNEY_NODES, { error: `阶段只能是 ${JOURNEY_NODES.join(' / ')}` }).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的字段' })
  .refine((b) => b.assignReason === undefined || b.ownerId !== undefined, { message: '改派原因只能和负责人（ownerId）一起填写' });
export type LeadUpdateBody = z.infer<typeof leadUpdateSchema>;

export const leadListQuerySchema = z
  .object({
    owner: z.union([z.literal('me'), idSchema]).optional(),
    status: z.enum(LEAD_STATUSES, { error: `状态只能是 ${LEAD_STATUSES.join(' / ')}` }).optional(),
    node: z.enum(JOURNEY_NODES, { error: `旅程节点只能是 ${JOURNEY_NODES.join(' / ')}` }).optional(),
    overdue: queryBool.optional(),
    city: plainText('城市', 16).optional(),
    grade: grade.optional(),
    channel: plainText('渠道', 64).optional(),
    deleted: queryBool.optional(),
    page: z.coerce.number().int().min(1, '页码从1开始').default(1),
    pageSize: z.coerce.number().int().min(1).max(100, '每页最多100条').default(20),
  })
  .strict();
export type LeadListQuery = z.infer<typeof leadListQuerySchema>;
