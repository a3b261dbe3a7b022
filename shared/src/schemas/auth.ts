import { z } from 'zod';
import { ROLES } from '../vocabulary';
import { idSchema } from './common';

export const devLoginSchema = z
  .object({
    userId: idSchema.optional(),
    role: z.enum(ROLES, { error: `角色只能是 ${ROLES.join(' / ')}` }).optional(),
    companyId: idSchema.optional(),
  })
  .strict()
  .refine((b) => b.userId !== undefined || b.role !== undefined, { message: '请提供 userId 或 role' });
