import { z } from 'zod';
import { plainText } from '../schemas/text';
import { SOURCE_KINDS } from './mapping';

const eventMapping = z.record(
  z.string().regex(/^[a-zA-Z]{2,20}$/, '映射的字段名无效'),
  plainText('字段映射路径', 200, { tooLong: '路径最多200个字符' }).trim().min(1, '路径不能为空'),
);

const faultCategories = z.array(plainText('故障类别', 32).trim().min(1, '类别不能为空'), { error: '故障类别应为列表' }).max(30, '最多30个故障类别');

function parsesAsUrl(u: string): boolean {
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
}

export const eventSourceCreateSchema = z
  .object({
    code: z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}$/, '来源代码只能用小写字母、数字和短横线，2-32位（用在接收地址里）'),
    name: plainText('来源名称', 64).pipe(z.string().trim().min(1, '请填写来源名称（如 金蝶财务）')),
    kind: z.enum(SOURCE_KINDS, { error: '来源类型只能是 finance（财务回款）、after_sales（售后工单）、custom（其他）或 chat_archive（会话存档）' }),
    mapping: eventMapping.optional(),
    faultCategories: faultCategories.optional(),
  })
  .strict();

export const eventSourceUpdateSchema = z
  .object({
    name: plainText('来源名称', 64).pipe(z.string().trim().min(1, '请填写来源名称')).optional(),
    mapping: eventMapping.optional(),
    faultCategories: faultCategories.optional(),
    /** Where the source answers the consistency report's pull (GET, signed); null to remove. */
    pullUrl: plainText('对账地址', 500)
      .trim()
      .refine((u) => /^https?:\/\/[^\s/]+/.test(u) && parsesAsUrl(u), '对账地址应为 https:// 开头的完整网址')
      .nullable()
      .optional(),
    active: z.boolean().optional(),
    rotateSecret: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的字段' });

export const inboundEventListSchema = z
  .object({
    status: z.enum(['parked', 'applied', 'dismissed'], { error: '状态只能是 parked、applied 或 dismissed' }).optional(),
    sourceId: z.coerce.number().int().positive().optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
  })
  .strict();

export const inboundResolveSchema = z
  .object({
    customerId: z.number({ error: '请选择客户（客户ID）' }).int().positive(),
    leadId: z.number().int().positive().optional(),
  })
  .strict();

export const inboundDismissSchema = z.object({ reason: plainText('原因', 100).pipe(z.string().trim().min(1, '请填写忽略的原因')) }).strict();

export type EventSourceCreate = z.infer<typeof eventSourceCreateSchema>;
export type EventSourceUpdate = z.infer<typeof eventSourceUpdateSchema>;

const partnerTag = plainText('渠道标签', 64).pipe(z.string().trim().min(1, '请填写该合作方线索的渠道标签（如 渠道商-启明教育）'));

export const partnerCreateSchema = z
  .object({
    name: plainText('合作方名称', 64).pipe(z.string().trim().min(1, '请填写合作方名称')),
    tag: partnerTag,
    requireApproval: z.boolean().default(false),
  })
  .strict();

export const partnerUpdateSchema = z
  .object({
    name: plainText('合作方名称', 64).pipe(z.string().trim().min(1, '请填写合作方名称')).optional(),
    tag: partnerTag.optional(),
    requireApproval: z.boolean().optional(),
    active: z.boolean().optional(),
    rotateKey: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的字段' });

/** A lead a partner refers: its own reference (idempotency) and the lead's fields. */
export const referralSchema = z
  .object({
    ref: z
      .string({ error: '请填写推荐编号（ref，你方系统里的编号）' })
      .trim()
      .regex(/^[\w.:-]{1,64}$/, '推荐编号只能包含字母、数字、点、冒号、下划线和短横线，最多64位'),
    phone: plainText('手机号', 40),
    name: plainText('称呼', 32).optional(),
    city: plainText('城市', 16).optional(),
    grade: plainText('年级', 8).optional(),
    concerns: z.array(plainText('关注点', 16)).max(10).optional(),
  })
  .strict();

export const referralListSchema = z
  .object({
    status: z.enum(['pending', 'approved', 'rejected'], { error: '状态只能是 pending、approved 或 rejected' }).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
  })
  .strict();

export const partnerPageSchema = z.object({ page: z.coerce.number().int().min(1).max(10_000).default(1) }).strict();

export const referralRejectSchema = z.object({ reason: plainText('原因', 100).pipe(z.string().trim().min(1, '请填写不通过的原因')) }).strict();

export const consistencyRunSchema = z.object({ sourceId: z.number({ error: '请选择要对账的来源（sourceId）' }).int().positive() }).strict();
export const consistencyUploadSchema = z.object({ sourceId: z.coerce.number({ error: '请选择要对账的来源（sourceId）' }).int().positive() }).strict();
