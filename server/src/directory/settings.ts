import cron from 'node-cron';
import { z } from 'zod';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { DEFAULT_DIRECTORY_SETTINGS } from '../companies/settings';
import { saveSettingsBlock } from '../companies/settings-block';
import { badRequest } from '../http/errors';

/** PUT /api/directory/settings: any of the fields; the depths are checked together (a team is deeper than its centre). */
export const directorySettingsPatchSchema = z
  .object({
    centreDepth: z.number().int().min(1).max(10),
    teamDepth: z.number().int().min(2).max(11),
    reviewDeactivateShare: z.number().min(0).max(1),
    schedule: z
      .string()
      .trim()
      .max(64)
      .refine((s) => s === '' || cron.validate(s), { message: '不是有效的 cron 表达式（例如 0 2 * * * 表示每天 2 点；留空表示不定时同步）' }),
    leaverTarget: z.enum(['queue', 'round_robin']),
  })
  .partial()
  .strict();

export type DirectorySettingsPatch = z.infer<typeof directorySettingsPatchSchema>;

/** The company's directory settings (docs/directory.md): read and changed by admins, audited field by field. */
export async function saveDirectorySettings(app: AppContext, actor: Actor, patch: DirectorySettingsPatch, requestId?: string) {
  const result = await saveSettingsBlock(app, actor, 'directory', patch, requestId, (next) => {
    if (next.teamDepth <= next.centreDepth) throw badRequest(`小组的部门层级（${next.teamDepth}）必须比中心（${next.centreDepth}）更深`);
  });
  return { ...result, defaults: DEFAULT_DIRECTORY_SETTINGS };
}
