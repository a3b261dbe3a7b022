import { z } from 'zod';

const ids = z
  .string()
  .max(1000, '线索ID过多')
  .regex(/^\d+(,\d+)*$/, 'leadIds 应为逗号分隔的线索ID，如 12,15,31')
  .transform((s) => [...new Set(s.split(',').map(Number))])
  .refine((xs) => xs.length <= 100, '一次最多100条线索');

/** GET /api/todo: whose list (a supervisor may pick one rep), an alarm digest's leads, how many rows. */
export const todoQuerySchema = z
  .object({
    repId: z.coerce.number({ error: 'repId 应为数字' }).int().positive().optional(),
    leadIds: ids.optional(),
    limit: z.coerce.number({ error: 'limit 应为数字' }).int().min(0).max(500, 'limit 最大500').default(200),
  })
  .strict();

export type TodoQuery = z.infer<typeof todoQuerySchema>;
