import { z } from 'zod';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD（中国时间）');
const points = (label: string) => z.number().int(`${label}应为整数`).min(0, `${label}不能为负`).max(20, `${label}最多20分`);

export const leaderboardQuerySchema = z.object({ day: day.optional() }).strict();
export const leaderboardEntriesQuerySchema = z.object({ userId: z.coerce.number().int().positive('用户ID应为正整数'), day: day.optional() }).strict();

/** PUT /api/leaderboard/settings: any of the rules. */
export const leaderboardRulesPatchSchema = z
  .object({
    actionPoints: points('动作分'),
    conclusionPoints: points('结论分'),
    nextStepPoints: points('下一步分'),
    voicePoints: points('语音分'),
    minConclusionChars: z.number().int().min(1, '结论最少字数至少为1').max(50, '结论最少字数最多50'),
    cooldownMinutes: z
      .number()
      .int()
      .min(0, '冷却时间不能为负')
      .max(24 * 60, '冷却时间最多1440分钟'),
    copyWindowDays: z.number().int().min(0, '复制检查天数不能为负').max(90, '复制检查天数最多90天'),
  })
  .partial()
  .strict();
export type LeaderboardRulesPatch = z.infer<typeof leaderboardRulesPatchSchema>;
