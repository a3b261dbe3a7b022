import { z } from 'zod';
import { CONCLUSION_MAX, INPUT_SOURCES } from '../vocabulary';
import { idSchema, isoDateTime, maxChars } from './common';

export const clientRequestIdSchema = z
  .string()
  .min(8, '请求编号至少8个字符')
  .max(64, '请求编号最多64个字符')
  .regex(/^[A-Za-z0-9_\-:.]+$/, '请求编号只能包含字母、数字和 _ - : .');

export const followupCreateSchema = z
  .object({
    leadId: idSchema,
    action: z.string({ error: '请选择跟进动作' }).min(1, '请选择跟进动作'),
    conclusion: maxChars(CONCLUSION_MAX, `关键结论最多${CONCLUSION_MAX}个字`).default(''),
    nextStep: z
      .object({
        at: isoDateTime,
        action: maxChars(50, '下一步动作最多50个字').pipe(z.string().trim().min(1, '请填写下一步要做什么')),
      })
      .strict()
      .optional(),
    source: z.enum(INPUT_SOURCES, { error: `输入方式只能是 ${INPUT_SOURCES.join(' / ')}` }).default('typed'),
    transcript: maxChars(2000, '语音转写最多2000个字').optional(),
    scriptId: idSchema.optional(),
    /** Required with 已签约: one of the company's courses (GET /api/meta → courses). */
    signedCourse: z.string().trim().min(1, '请选择所签课程').max(32, '课程名最多32个字').optional(),
    clientRequestId: clientRequestIdSchema.optional(),
  })
  .strict();
export type FollowupCreateBody = z.infer<typeof followupCreateSchema>;
