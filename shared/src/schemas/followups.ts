import { z } from 'zod';
import { CONCLUSION_MAX, INPUT_SOURCES } from '../vocabulary';
import { idSchema, isoDateTime } from './common';
import { plainText } from './text';

export const clientRequestIdSchema = z
  .string()
  .min(8, '请求编号至少8个字符')
  .max(64, '请求编号最多64个字符')
  .regex(/^[A-Za-z0-9_\-:.]+$/, '请求编号只能包含字母、数字和 _ - : .');

export const followupCreateSchema = z
  .object({
    leadId: idSchema,
    action: plainText('跟进动作', 64, { required: '请选择跟进动作' }).pipe(z.string().min(1, '请选择跟进动作')),
    conclusion: plainText('关键结论', CONCLUSION_MAX, { multiline: true }).default(''),
    nextStep: z
      .object({
        at: isoDateTime,
        action: plainText('下一步动作', 50).pipe(z.string().trim().min(1, '请填写下一步要做什么')),
      })
      .strict()
      .optional(),
    source: z.enum(INPUT_SOURCES, { error: `输入方式只能是 ${INPUT_SOURCES.join(' / ')}` }).default('typed'),
    transcript: plainText('语音转写', 2000, { multiline: true }).optional(),
    scriptId: idSchema.optional(),
    /** Required with 已签约: one of the company's courses (GET /api/meta → courses). */
    signedCourse: plainText('课程名', 32).pipe(z.string().trim().min(1, '请选择所签课程')).optional(),
    clientRequestId: clientRequestIdSchema.optional(),
  })
  .strict();
export type FollowupCreateBody = z.infer<typeof followupCreateSchema>;
