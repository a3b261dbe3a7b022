import { z } from 'zod';
import { CONCERNS, JOURNEY_NODES } from '../vocabulary';
import { charLength } from './common';

const VARIABLES = ['称呼', '课程', '顾问', '年级', '城市'];

const text = z
  .string()
  .trim()
  .min(1, '话术内容不能为空')
  .refine((s) => charLength(s) <= 500, '话术内容最多 500 个字')
  .refine((s) => [...s.matchAll(/\{([^{}]*)\}/g)].every((m) => VARIABLES.includes(m[1])), {
    message: `话术中只能使用这些变量：${VARIABLES.map((v) => `{${v}}`).join(' ')}`,
  });

/** A script in the company's library, as an admin or sales ops writes it. */
export const scriptCreateSchema = z.object({
  category: z.string().trim().min(1, '请填写分类').refine((s) => charLength(s) <= 16, '分类最多 16 个字'),
  title: z.string().trim().min(1, '请填写标题').refine((s) => charLength(s) <= 32, '标题最多 32 个字'),
  text,
  tags: z.array(z.string().trim().min(1).max(16, '标签最多 16 个字')).max(10, '最多 10 个标签').default([]),
  journeyNode: z.enum(JOURNEY_NODES, { error: `阶段只能是：${JOURNEY_NODES.join('、')}` }).nullable().default(null),
  concern: z.enum(CONCERNS, { error: `关注点只能是：${CONCERNS.join('、')}` }).nullable().default(null),
});
export type ScriptCreateBody = z.infer<typeof scriptCreateSchema>;

export const scriptUpdateSchema = z
  .object({
    category: scriptCreateSchema.shape.category,
    title: scriptCreateSchema.shape.title,
    text,
    tags: z.array(z.string().trim().min(1).max(16, '标签最多 16 个字')).max(10, '最多 10 个标签'),
    journeyNode: scriptCreateSchema.shape.journeyNode.unwrap().unwrap().nullable(),
    concern: scriptCreateSchema.shape.concern.unwrap().unwrap().nullable(),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, '请至少修改一个字段');
