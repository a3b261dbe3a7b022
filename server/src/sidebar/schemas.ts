import { z } from 'zod';
import { idSchema, plainText, textCheck } from '@lifeline/shared';

export const wecomLoginSchema = z.object({ code: plainText('登录码', 512, { required: '缺少企业微信登录码' }).min(1, '缺少企业微信登录码') }).strict();
export const dingtalkLoginSchema = z.object({ authCode: plainText('登录码', 512, { required: '缺少钉钉登录码' }).min(1, '缺少钉钉登录码') }).strict();
export const signatureQuerySchema = z.object({
  url: z.url({ error: '页面地址不正确，应为当前页面的完整 URL' }).check(textCheck('页面地址')).max(2048, '页面地址过长'),
});
export const externalUserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, '外部联系人编号格式不正确');
export const voiceDraftSchema = z
  .object({
    transcript: plainText('语音转写', 2000, { multiline: true, required: '缺少语音转写内容' }).trim().min(1, '没有识别到语音内容，请重新录音'),
    leadId: idSchema.optional(),
  })
  .strict();
