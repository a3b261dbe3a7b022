import type Router from '@koa/router';
import type { AppContext } from '../context';
import { InboundEvents } from './inbound';
import { EventSources } from './sources';
import { SourceCache } from './source-cache';
import {
  consistencyRoutes,
  consistencyUploadRoutes,
  inboundRoutes,
  integrationAdminRoutes,
  partnerAdminRoutes,
  partnerApiRoutes,
  webhookRoutes,
} from './routes';
import { Partners } from './partners';
import { Consistency } from './consistency';
import type { LeadService } from '../leads/leads.service';
import { WebhookOutbox } from './webhook-events';
import { WebhookSender } from './webhook-sender';
import { Webhooks } from './webhooks';

/**
 * The integration hub (docs/integrations.md): inbound business events (sources, review list) and outbound webhooks
 * (subscriptions, the outbox subscribed to domain events, the sender the process starts).
 */
export function integrationsModule(ctx: AppContext, leads: LeadService) {
  const cache = new SourceCache(ctx);
  const inbound = new InboundEvents(ctx, cache);
  const sources = new EventSources(ctx, cache);
  const outbox = new WebhookOutbox(ctx);
  outbox.subscribe();
  const webhooks = new Webhooks(ctx, outbox);
  const partners = new Partners(ctx, leads);
  const consistency = new Consistency(ctx);
  const sender = new WebhookSender(ctx, { timeoutMs: ctx.config.webhooks?.timeoutMs, allowPrivate: ctx.config.webhooks?.allowPrivate });
  return {
    sender,
    consistency,
    /** Event sources by code: the chat-archive push (signals/) authenticates with the same sources. */
    sources: cache,
    /** Signed requests from other systems: mounted before the JSON-only body rule (the signature covers the raw bytes). */
    raw: [inboundRoutes(inbound), consistencyUploadRoutes(ctx, consistency)] as Router[],
    /** The partner API: its own key per request (X-Partner-Key), JSON bodies. */
    open: [partnerApiRoutes(partners)] as Router[],
    authed: [integrationAdminRoutes(sources, inbound), webhookRoutes(webhooks), partnerAdminRoutes(partners), consistencyRoutes(consistency)] as Router[],
  };
}

export { customerHealthOf, serviceTicketsOf } from './external-facts';
