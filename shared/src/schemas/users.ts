import { z } from 'zod';
import { ROLES } from '../vocabulary';
import { idSchema } from './common';

/** An admin's change to a user: role, active (停用/启用), org unit, manager. Takes effect for writes at once. */
export const userUpdateSchema = z
  .object({
    role: z.enum(ROLES, { error: `角色只能是 ${ROLES.join(' / ')}` }).optional(),
    active: z.boolean({ error: '启用只能是 true 或 false' }).optional(),
    orgUnitId: idSchema.nullable().optional(),
    managerId: idSchema.nullable().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的字段（可修改 role、active、orgUnitId、managerId）' });
export type UserUpdateBody = z.infer<typeof userUpdateSchema>;
