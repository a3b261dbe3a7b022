import { z } from 'zod';
import { idSchema } from '@lifeline/shared';

export const wecomLoginSchema = z.object({ code: z.string({ error: '缺少企业微信登录码' }).min(1, '缺少企业微信登录码').max(512) }).strict();
export const dingtalkLoginSchema = z.object({ authCode: z.string({ error: '缺少钉钉登录码' }).min(1, '缺少钉钉登录码').max(512) }).strict();
export const signatureQuerySchema = z.object({
  url: z.url({ error: '页面地址不正确，应为当前页面的完整 URL' }).max(2048, '页面地址过长'),
});
export const externalUserIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, '外部联系人编号格式不正确');
export const voiceDraftSchema = z.object({
  transcript: z.string({ error: '缺少语音转写内容' }).trim().min(1, '没有识别到语音内容，请重新录音').max(2000, '语音转写最多2000个字'),
  leadId: idSchema.optional(),
}).strict();
