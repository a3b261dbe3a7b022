import { SCORE_FIELDS } from '../scoring';
import { z } from 'zod';
import { CONCERNS, GRADES } from '../vocabulary';
import { idSchema } from '../schemas/common';
import { plainText } from '../schemas/text';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间格式应为 HH:mm（如 09:00）');
const shiftSchema = z
  .object({
    days: z.array(z.number().int().min(1, '星期应为1-7').max(7, '星期应为1-7')).min(1, '请至少选择一天'),
    from: hhmm,
    to: hhmm,
  })
  .strict();

const grade = z.enum(GRADES, { error: `年级只能是 ${GRADES.join('、')} 之一` });
const score = z.number().int('评分应为整数').min(-1000).max(1000);

const routingRuleSchema = z
  .object({
    name: plainText('规则名称', 32).pipe(z.string().trim().min(1, '请填写规则名称')),
    cities: z.array(plainText('城市', 16).trim().min(1, '城市不能为空')).max(50).optional(),
    grades: z.array(grade).max(GRADES.length).optional(),
    channels: z.array(plainText('渠道标签', 64).trim().min(1, '渠道标签不能为空')).max(50).optional(),
    minScore: score.optional(),
    maxScore: score.optional(),
    poolId: idSchema,
    rerouteOnA: z.boolean({ error: 'rerouteOnA 应为 true 或 false' }).optional(),
    coOwnerId: idSchema.optional(),
  })
  .strict();

export const ruleSetSchema = z
  .object({
    rules: z.array(routingRuleSchema).max(200, '规则最多200条'),
    defaultPoolId: idSchema,
    protective: z
      .object({
        minScore: score,
        maxPerRep: z.number().int().min(1, '保护上限至少为1').max(1000),
      })
      .strict()
      .optional(),
    /** Keep a share of new leads on the previous version and compare (docs/intake-routing.md, "A/B test"). */
    holdout: z
      .object({
        share: z.number().min(0.01, '对照组比例至少1%').max(0.5, '对照组比例最多50%').default(0.1),
        minSample: z.number().int('最小样本应为整数').min(20, '每组最小样本至少20条').max(100_000).default(200),
        harmPoints: z.number().min(0.01, '止损阈值至少1个百分点').max(0.5, '止损阈值最多50个百分点').default(0.1),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RuleSetInput = z.infer<typeof ruleSetSchema>;

export const experimentStopSchema = z
  .object({
    reason: plainText('结束原因', 100).pipe(z.string().trim().min(1, '请填写结束原因')),
  })
  .strict();

const poolMemberSchema = z
  .object({
    userId: idSchema,
    weight: z.number().int('权重应为整数').min(1, '权重至少为1').max(20, '权重最多为20').default(1),
    cap: z.number().int().min(0, '接单上限不能为负').max(10000).nullable().default(null),
    shifts: z.array(shiftSchema).max(14).nullable().default(null),
  })
  .strict();

export const poolSchema = z
  .object({
    name: plainText('线索池名称', 64).pipe(z.string().trim().min(1, '请填写线索池名称')),
    orgUnitId: idSchema,
    members: z.array(poolMemberSchema).max(200, '成员最多200人'),
  })
  .strict()
  .refine((p) => new Set(p.members.map((m) => m.userId)).size === p.members.length, {
    message: '同一成员不能重复加入线索池',
    path: ['members'],
  });
export type PoolInput = z.infer<typeof poolSchema>;

const scoreWeightSchema = z
  .object({
    field: z.enum(SCORE_FIELDS, {
      error:
        '加分字段只能是 grade（年级）/ channel（渠道）/ concern（关注点）/ city（城市）/ province（省份）/ carrier（运营商）/ campaign（活动）/ tag（标签）',
    }),
    value: plainText('取值', 64).trim().min(1, '请填写取值'),
    points: z.number().int('分值应为整数').min(-100, '分值不能低于-100').max(100, '分值不能超过100'),
    label: plainText('说明', 32).trim().optional(),
  })
  .strict();

export const scoreWeightsSchema = z
  .object({
    weights: z.array(scoreWeightSchema).max(200, '加分项最多200条'),
    levelA: z.number().int().min(1, 'A级门槛至少为1').max(1000).optional(),
    /** Yes to a change that reinterprets stored leads (the A-level threshold): asked for by a 409 naming how many. */
    confirm: z.boolean({ error: 'confirm 应为 true 或 false' }).optional(),
  })
  .strict()
  .refine((b) => new Set(b.weights.map((w) => `${w.field}:${w.value}`)).size === b.weights.length, {
    message: '同一字段的同一取值只能设置一个分值',
    path: ['weights'],
  });
export type ScoreWeightsInput = z.infer<typeof scoreWeightsSchema>;

export const dryRunSchema = z
  .object({
    phone: plainText('手机号', 32).optional(),
    city: plainText('城市', 16).optional(),
    province: plainText('省份', 16).optional(),
    grade: grade.optional(),
    concerns: z.array(z.enum(CONCERNS, { error: `关注点只能是 ${CONCERNS.join('、')}` })).optional(),
    channel: plainText('渠道标签', 64).pipe(z.string().trim().min(1, '请填写渠道标签')),
  })
  .strict();
export type DryRunInput = z.infer<typeof dryRunSchema>;

export const queueAssignSchema = z
  .object({
    ownerId: idSchema,
    /** Shown in the lead's timeline: 分配给 张敏（原因）. */
    reason: plainText('分配原因', 100).pipe(z.string().trim().min(1, '请填写分配原因')).optional(),
  })
  .strict();
