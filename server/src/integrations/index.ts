import type Router from '@koa/router';
import type { AppContext } from '../context';
import { InboundEvents } from './inbound';
import { EventSources } from './sources';
import { inboundRoutes, integrationAdminRoutes } from './routes';

/** The integration hub (docs/integrations.md): inbound business events, their sources and review list. */
export function integrationsModule(ctx: AppContext) {
  const inbound = new InboundEvents(ctx);
  const sources = new EventSources(ctx);
  return {
    /** Signed requests from other systems: mounted before the JSON-only body rule (the signature covers the raw bytes). */
    raw: [inboundRoutes(inbound)] as Router[],
    authed: [integrationAdminRoutes(sources, inbound)] as Router[],
  };
}

export { customerHealthOf, serviceTicketsOf } from './customer-health';
