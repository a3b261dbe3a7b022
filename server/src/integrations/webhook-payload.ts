import { z } from 'zod';
import { WEBHOOK_EVENTS } from '@lifeline/shared/src/integrations';

// What a webhook delivery carries: a response we send, documented in the OpenAPI document's `webhooks` (not a request
// schema, so it lives beside the sender rather than among the shared request schemas).
const leadPayload = z.object({
  id: z.number(),
  customerId: z.number(),
  channel: z.string(),
  campaign: z.string().nullable(),
  status: z.string().describe('pending | assigned | following | won | lost | invalid'),
  journeyNode: z.string(),
  score: z.number(),
  level: z.string().describe('A | B | C'),
  ownerId: z.number().nullable(),
  signedAt: z.string().nullable().describe('ISO 时间'),
  createdAt: z.string(),
});
const customerPayload = z.object({
  id: z.number(),
  name: z.string().nullable(),
  phone: z.string().describe('脱敏：138****8000'),
  province: z.string().nullable(),
  city: z.string().nullable(),
  grade: z.string().nullable(),
  concerns: z.array(z.string()),
  tags: z.array(z.string()),
});
const followupPayload = z.object({
  id: z.number(),
  leadId: z.number(),
  authorId: z.number(),
  action: z.string(),
  conclusion: z.string(),
  nextStepAt: z.string().nullable(),
  createdAt: z.string(),
});

/** The body of every webhook delivery (documented in the OpenAPI document's `webhooks`). */
export const webhookPayloadSchema = z.object({
  id: z.string().describe('事件编号：重放和重试时不变，用来去重'),
  type: z.enum([...WEBHOOK_EVENTS, 'webhook.ping']),
  occurredAt: z.string().describe('ISO 时间'),
  companyId: z.number(),
  data: z.object({
    lead: leadPayload.optional(),
    customer: customerPayload.optional(),
    followup: followupPayload.optional(),
    changes: z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })).optional(),
    fromOwnerId: z.number().nullable().optional(),
  }),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
