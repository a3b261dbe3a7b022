import { z } from 'zod';
import { GRADES } from '../vocabulary';
import { ALARM_RULES } from './rules';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间格式应为 HH:MM（如 21:30）');

/** An admin's change to the company's alarm rules: any subset of the settings, each checked. */
export const alarmSettingsPatchSchema = z
  .object({
    unclaimedMinutes: z
      .number()
      .int('必须是整数')
      .min(5, '至少 5 分钟')
      .max(24 * 60, '最多 1440 分钟'),
    noFollowupHours: z
      .number()
      .int('必须是整数')
      .min(1, '至少 1 小时')
      .max(30 * 24, '最多 720 小时'),
    highRiskHours: z
      .number()
      .int('必须是整数')
      .min(1, '至少 1 小时')
      .max(30 * 24, '最多 720 小时'),
    highRiskGrades: z.array(z.enum(GRADES, { error: `年级只能是：${GRADES.join('、')}` })).max(GRADES.length),
    quietStart: hhmm,
    quietEnd: hhmm,
    urgentRules: z.array(z.enum(ALARM_RULES, { error: `规则只能是：${ALARM_RULES.join('、')}` })),
    digestAbove: z.number().int('必须是整数').min(1, '至少 1').max(50, '最多 50'),
    perMemberPerMinute: z.number().int('必须是整数').min(1, '至少 1').max(30, '企业微信每人每分钟最多 30 条'),
    perMemberPerHour: z.number().int('必须是整数').min(1, '至少 1').max(1000, '企业微信每人每小时最多 1000 条'),
    missRatio: z.number().min(0.1, '至少 10%').max(0.9, '最多 90%'),
  })
  .partial()
  .strict()
  .refine((s) => s.highRiskHours === undefined || s.noFollowupHours === undefined || s.highRiskHours < s.noFollowupHours, {
    message: '高风险预警时间必须早于超时未跟进时间',
    path: ['highRiskHours'],
  });
export type AlarmSettingsPatch = z.infer<typeof alarmSettingsPatchSchema>;
