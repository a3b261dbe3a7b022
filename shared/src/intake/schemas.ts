import { z } from 'zod';
import { plainText } from '../schemas/text';
import { MAPPABLE_FIELDS } from './mapping';

const mapping = z.partialRecord(
  z.enum(MAPPABLE_FIELDS, { error: `可映射的字段：${MAPPABLE_FIELDS.join('、')}` }),
  plainText('字段映射路径', 200, { tooLong: '路径最多200个字符' }).trim().min(1, '路径不能为空'),
);

/** The signing secret of a 巨量引擎 SPI subscription, copied from the developer console. */
const spiSecret = z
  .string({ error: '签名密钥应为文本' })
  .trim()
  .regex(/^[\x21-\x7e]{16,128}$/, '签名密钥应为16-128个可见英文字符（从巨量引擎开发者后台的订阅设置复制）');

/** The service labels whose pushes carry clues (unverified by the platform's docs, so the admin sets them). */
const serviceLabels = z
  .array(
    z
      .string()
      .trim()
      .regex(/^[\w.-]{1,120}$/, 'service_label 只能包含字母、数字、点、下划线和短横线'),
    { error: 'service_label 应为列表' },
  )
  .max(20, '最多20个 service_label');

const origin = plainText('允许的网站', 200)
  .trim()
  .refine((o) => {
    try {
      const u = new URL(o);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o.replace(/\/$/, '');
    } catch {
      return false;
    }
  }, '允许的网站应写成 https://www.example.com 这样的网址（不带路径）')
  .transform((o) => o.replace(/\/$/, ''));

/** The channel's public lead form: on/off, its title, and the other sites allowed to post it from their pages. */
export const channelFormSchema = z
  .object({
    enabled: z.boolean({ error: '请说明表单是否开启' }),
    title: plainText('表单标题', 40).pipe(z.string().trim().min(1, '请填写表单标题')).default('免费领取学习规划'),
    allowedOrigins: z.array(origin, { error: '允许的网站应为列表' }).max(20, '最多20个网站').default([]),
  })
  .strict();

export const channelCreateSchema = z
  .object({
    code: z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}$/, '渠道代码只能用小写字母、数字和短横线，2-32位（用在接入地址里）'),
    name: plainText('渠道名称', 64).pipe(z.string().trim().min(1, '请填写渠道名称')),
    tag: plainText('渠道标签', 64).pipe(z.string().trim().min(1, '请填写渠道标签（如 抖音-202601直播）')),
    kind: z.enum(['api', 'douyin', 'oceanengine'], { error: '渠道类型只能是 api、douyin 或 oceanengine' }).default('api'),
    mapping: mapping.optional(),
    secret: spiSecret.optional(),
    serviceLabels: serviceLabels.optional(),
  })
  .strict();

export const channelUpdateSchema = z
  .object({
    name: plainText('渠道名称', 64).pipe(z.string().trim().min(1, '请填写渠道名称')).optional(),
    tag: plainText('渠道标签', 64).pipe(z.string().trim().min(1, '请填写渠道标签（如 抖音-202601直播）')).optional(),
    mapping: mapping.optional(),
    active: z.boolean().optional(),
    rotateKey: z.boolean().optional(),
    secret: spiSecret.optional(),
    serviceLabels: serviceLabels.optional(),
    form: channelFormSchema.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的字段' });
