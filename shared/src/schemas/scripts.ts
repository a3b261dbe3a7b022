import { z } from 'zod';
import { CONCERNS, JOURNEY_NODES } from '../vocabulary';
import { plainText } from './text';

const VARIABLES = ['称呼', '课程', '顾问', '年级', '城市'];

const text = plainText('话术内容', 500, { multiline: true, tooLong: '话术内容最多 500 个字' })
  .trim()
  .min(1, '话术内容不能为空')
  .refine((s) => [...s.matchAll(/\{([^{}]*)\}/g)].every((m) => VARIABLES.includes(m[1])), {
    message: `话术中只能使用这些变量：${VARIABLES.map((v) => `{${v}}`).join(' ')}`,
  });

const tag = plainText('标签', 16, { tooLong: '标签最多 16 个字' }).trim().min(1, '标签不能为空');

/** A script in the company's library, as an admin or sales ops writes it. */
export const scriptCreateSchema = z.object({
  category: plainText('分类', 16, { tooLong: '分类最多 16 个字' }).trim().min(1, '请填写分类'),
  title: plainText('标题', 32, { tooLong: '标题最多 32 个字' }).trim().min(1, '请填写标题'),
  text,
  tags: z.array(tag).max(10, '最多 10 个标签').default([]),
  journeyNode: z
    .enum(JOURNEY_NODES, { error: `阶段只能是：${JOURNEY_NODES.join('、')}` })
    .nullable()
    .default(null),
  concern: z
    .enum(CONCERNS, { error: `关注点只能是：${CONCERNS.join('、')}` })
    .nullable()
    .default(null),
});

export const scriptUpdateSchema = z
  .object({
    category: scriptCreateSchema.shape.category,
    title: scriptCreateSchema.shape.title,
    text,
    tags: z.array(tag).max(10, '最多 10 个标签'),
    journeyNode: scriptCreateSchema.shape.journeyNode.unwrap().unwrap().nullable(),
    concern: scriptCreateSchema.shape.concern.unwrap().unwrap().nullable(),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, '请至少修改一个字段');
