import { z } from 'zod';
import { clientRequestIdSchema, idSchema } from '@lifeline/shared';

/*
 * Inputs that routes parse inline instead of through an exported schema. They are restated here for the document
 * only; test/server/openapi.test.ts sends requests that break them, so a drift shows up as a failing test.
 */

/** `GET /api/customers/lookup` (customers.routes.ts). */
export const lookupQueryDoc = z
  .object({
    phone: z.string().max(40).optional().describe('任意格式：+86、空格、横线、全角数字均可'),
    leadId: z.number().int().positive().optional().describe('或：按线索打开（我的待办、提醒），该线索排在首位；无权查看手机号的角色看到脱敏号码'),
  })
  .strict();

/** `GET /api/script-picks` (scripts/picks.routes.ts). */
export const scriptPicksQueryDoc = z.object({ leadId: idSchema });

/** `POST /api/imports` (intake/import.routes.ts). */
export const importQueryDoc = z.object({
  channel: z.string().describe('渠道标签：文件中没有「渠道」列的行用它'),
  filename: z.string().optional().describe('原文件名（.xlsx 或 .csv），用于识别格式和报告'),
});

/** WeCom / DingTalk callback signatures (alarms/wecom-callback.ts, platforms/dingtalk/callback.ts). */
export const wecomCallbackQueryDoc = z.object({
  msg_signature: z.string(),
  timestamp: z.string(),
  nonce: z.string(),
  echostr: z.string().optional().describe('仅验证 URL 的 GET 请求'),
});
export const dingtalkCallbackQueryDoc = z.object({
  msg_signature: z.string().optional(),
  signature: z.string().optional(),
  timeStamp: z.string().optional(),
  timestamp: z.string().optional(),
  nonce: z.string(),
});

/** Signed tap links in DingTalk work notices (console/console.routes.ts). */
export const tapQueryDoc = z.object({
  m: idSchema.describe('提醒消息编号'),
  k: z.string().describe('按钮键'),
  sig: z.string().describe('链接签名'),
});

/** The demo console's person switch. */
export const consoleQueryDoc = z.object({ user: idSchema.optional() });

export const idempotencyKeyHeader = {
  name: 'Idempotency-Key',
  required: false,
  description:
    '客户端生成的请求编号。此请求头与请求体 clientRequestId 必须二选一（都给时须相同），否则 400。同一编号再次提交返回首次结果（200，Idempotent-Replayed: true）且不再写入；同一编号内容不同 → 409',
  schema: clientRequestIdSchema,
};
