import { z } from 'zod';
import { CONCERNS } from '../vocabulary';
import { plainText } from './text';

/** The follow-up action that records a signing: always offered (the sidebar asks for the course with it). */
export const SIGNING_ACTION_TAG = '已签约';

/** Customer fields that profile completeness may count. */
export const PROFILE_FIELDS = ['name', 'city', 'province', 'grade', 'concerns', 'tags'] as const;
export const PROFILE_FIELD_LABELS: Record<(typeof PROFILE_FIELDS)[number], string> = {
  name: '称呼',
  city: '城市',
  province: '省份',
  grade: '年级',
  concerns: '关注点',
  tags: '标签',
};

const unique = <T>(xs: T[], key: (x: T) => string) => new Set(xs.map(key)).size === xs.length;

/** PUT /api/settings/vocabulary: the company's words in forms and reports (admin). Any subset; each list replaces. */
export const vocabularySchema = z
  .object({
    actionTags: z
      .array(plainText('跟进动作', 8).trim().min(1, '跟进动作不能为空'))
      .min(1, '至少保留一个跟进动作')
      .max(20, '跟进动作最多20个')
      .refine((xs) => unique(xs, (x) => x), '跟进动作不能重复')
      .refine((xs) => xs.includes(SIGNING_ACTION_TAG), `「${SIGNING_ACTION_TAG}」不能删除：签约靠它记录课程`),
    quickPhrases: z
      .array(plainText('快捷短语', 20).trim().min(1, '快捷短语不能为空'))
      .max(30, '快捷短语最多30个')
      .refine((xs) => unique(xs, (x) => x), '快捷短语不能重复'),
    courses: z
      .array(
        z
          .object({
            name: plainText('课程名称', 32).trim().min(1, '请填写课程名称'),
            concern: z.enum(CONCERNS, { error: `课程对应的关注点只能是：${CONCERNS.join('、')}` }),
            price: z.number({ error: '标价应为数字（元）' }).min(0, '标价不能为负').max(1_000_000, '标价过大').optional(),
          })
          .strict(),
      )
      .min(1, '至少保留一门课程')
      .max(30, '课程最多30门')
      .refine((xs) => unique(xs, (c) => c.name), '课程名称不能重复'),
    requiredProfileFields: z
      .array(z.enum(PROFILE_FIELDS, { error: `资料项只能是：${PROFILE_FIELDS.join('、')}` }))
      .min(1, '至少选择一项必填资料')
      .refine((xs) => unique(xs, (x) => x), '必填资料不能重复'),
    supervisorCanExport: z.boolean({ error: '主管导出权限应为 true 或 false' }),
    /** Whether a lead's KA co-owner (双人协同) may record follow-ups on it. */
    coOwnerCanRecord: z.boolean({ error: '协同人记录跟进应为 true 或 false' }),
    /** Yes to a change that reinterprets stored records (an item in use removed, a course's concern, required fields). */
    confirm: z.boolean({ error: 'confirm 应为 true 或 false' }),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).filter((k) => k !== 'confirm').length > 0, '没有要修改的内容');
export type VocabularyInput = z.infer<typeof vocabularySchema>;
