import { z } from 'zod';
import { ROLES, idSchema, plainText, queryBool } from '@lifeline/shared';

// Request schemas of people administration (docs/people.md). Kept beside the server code that reads them: the
// shared package's `userUpdateSchema` is the older, admin-only subset.

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间格式应为 HH:mm（如 09:00）');
/** A working window in China time, as routing pools keep it (shared/src/routing). */
const shiftSchema = z
  .object({
    days: z.array(z.number().int().min(1, '星期应为1-7').max(7, '星期应为1-7')).min(1, '请至少选择一天'),
    from: hhmm,
    to: hhmm,
  })
  .strict();

/** A WeCom userid or DingTalk userId: letters, digits and `_-.@`, as the platforms issue them. */
const platformUserId = (label: string) =>
  z
    .string({ error: `${label}应为文本` })
    .trim()
    .min(1, `${label}不能为空（解除绑定请传 null）`)
    .max(64, `${label}最多64个字符`)
    .regex(/^[A-Za-z0-9_.@-]+$/, `${label}只能包含字母、数字和 _ - . @`);

/** Routing cap and shifts of a user in their pools (all of them, or the one named by poolId). */
const routingPatchSchema = z
  .object({
    poolId: idSchema.optional(),
    cap: z.number({ error: '接单上限应为数字' }).int('接单上限应为整数').min(0, '接单上限不能为负').max(10000).nullable().optional(),
    shifts: z.array(shiftSchema).max(14, '排班最多14段').nullable().optional(),
  })
  .strict()
  .refine((r) => r.cap !== undefined || r.shifts !== undefined, { message: '请填写接单上限（cap）或排班（shifts）' });

/**
 * A change to a user: role, active (停用/启用), org unit, manager and platform ids (admin); routing cap and shifts
 * (admin, or a supervisor for a rep of their subtree). Takes effect for writes at once.
 */
export const userPatchSchema = z
  .object({
    role: z.enum(ROLES, { error: `角色只能是 ${ROLES.join(' / ')}` }).optional(),
    active: z.boolean({ error: '启用只能是 true 或 false' }).optional(),
    orgUnitId: idSchema.nullable().optional(),
    managerId: idSchema.nullable().optional(),
    wecomUserId: platformUserId('企业微信账号').nullable().optional(),
    dingtalkUserId: platformUserId('钉钉账号').nullable().optional(),
    routing: routingPatchSchema.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, {
    message: '没有要修改的字段（可修改 role、active、orgUnitId、managerId、wecomUserId、dingtalkUserId、routing）',
  });
export type UserPatchBody = z.infer<typeof userPatchSchema>;

/** GET /api/users: search by name or platform id, filter by role, unit (with its subtree) and active flag. */
export const userListQuerySchema = z
  .object({
    q: plainText('搜索词', 32).trim().optional(),
    role: z.enum(ROLES, { error: `角色只能是 ${ROLES.join(' / ')}` }).optional(),
    orgUnitId: idSchema.optional(),
    active: queryBool.optional(),
    page: z.coerce.number({ error: '页码必须是数字' }).int().min(1, '页码从1开始').default(1),
    pageSize: z.coerce.number({ error: '每页条数必须是数字' }).int().min(1).max(200, '每页最多200条').default(100),
  })
  .strict();
export type UserListQuery = z.infer<typeof userListQuerySchema>;

/** 在职继承: an admin moves a rep's open leads (all, or some) and, with WeCom, their customers to another user. */
export const reassignSchema = z
  .object({
    toUserId: idSchema,
    leads: z.union([z.literal('all'), z.array(idSchema).min(1, '请至少选择一条线索').max(1000, '一次最多转移1000条线索')], {
      error: "leads 只能是 'all' 或线索 ID 列表",
    }),
    customers: z.boolean({ error: 'customers 只能是 true 或 false' }).default(false),
    reason: plainText('原因', 64).trim().min(1, '请填写转移原因').optional(),
  })
  .strict();
export type ReassignBody = z.infer<typeof reassignSchema>;

export const TRANSFER_STATUSES = ['queued', 'sent', 'waiting', 'done', 'failed'] as const;

export const transferListQuerySchema = z
  .object({
    status: z.enum(TRANSFER_STATUSES, { error: `状态只能是 ${TRANSFER_STATUSES.join(' / ')}` }).optional(),
    userId: idSchema.optional(),
    page: z.coerce.number({ error: '页码必须是数字' }).int().min(1, '页码从1开始').default(1),
    pageSize: z.coerce.number({ error: '每页条数必须是数字' }).int().min(1).max(200, '每页最多200条').default(50),
  })
  .strict();
export type TransferListQuery = z.infer<typeof transferListQuerySchema>;

/** Retry failed customer transfers: the listed ones (or every failed one), optionally to another takeover user. */
export const transferRetrySchema = z
  .object({
    ids: z.array(idSchema).min(1, '请至少选择一条').max(1000, '一次最多重试1000条').optional(),
    takeoverUserId: idSchema.optional(),
  })
  .strict();
export type TransferRetryBody = z.infer<typeof transferRetrySchema>;
