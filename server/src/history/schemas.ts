import { z } from 'zod';
import { idSchema } from '@lifeline/shared';

/** An ISO 8601 time with its offset (2026-01-15T10:00:00+08:00), read as epoch ms. */
export const isoTime = (label: string) =>
  z
    .string({ error: `${label}应为 ISO 时间，如 2026-01-15T10:00:00+08:00` })
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/, `${label}应为带时区的 ISO 时间，如 2026-01-15T10:00:00+08:00`)
    .transform((s) => Date.parse(s))
    .refine((n) => Number.isFinite(n), `${label}不是有效时间`);

export const historyQuerySchema = z.object({ at: isoTime('at').optional() }).strict();

const auditEntity = z.string().regex(/^[a-z_]{2,32}$/, 'entity 应为对象类型，如 customer、lead、followup、app_user、company');

export const undoSchema = z
  .object({
    actorId: idSchema.optional(),
    from: isoTime('from'),
    to: isoTime('to'),
    entity: auditEntity.optional(),
    operationId: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'operationId 应为撤销或恢复结果中的操作编号')
      .optional(),
    dryRun: z.boolean({ error: 'dryRun 应为 true（预览）或 false（执行）' }),
    overwrite: z
      .array(z.string().regex(/^[a-z_]{2,32}:\d+:[A-Za-z0-9_.*]{1,64}$/, 'overwrite 应为冲突列表中的 key'))
      .max(10_000)
      .optional(),
  })
  .strict();
