import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { DataSource } from 'typeorm';
import type { AppConfig } from './config';
import type { AppContext } from './context';
import { systemClock, type Clock } from './clock';
import { Tx } from './db/tx';
import { DomainEvents } from './events/domain-events';
import { dbKindOf } from './db/data-source';
import { TokenService } from './auth/token';
import { requireAuth } from './auth/auth.middleware';
import { ActorCache } from './auth/actor-cache';
import { devLoginRoutes, meRoutes } from './auth/auth.routes';
import { getAttribution, type AttributionSource } from './customers/attribution';
import { customerRoutes } from './customers/customers.routes';
import { LeadService } from './leads/leads.service';
import { leadRoutes } from './leads/leads.routes';
import { FollowupService } from './followups/followups.service';
import { followupRoutes } from './followups/followups.routes';
import { directoryRoutes } from './users/users.routes';
import { errorHandler, requestContext, requireJsonBody } from './http/middleware';
import { logger as rootLogger, type Logger } from './logger';
import { sidebarModule } from './sidebar';
import { intakeRoutingModule } from './routing/module';
import { alarmsModule } from './alarms';
import { metricsModule } from './metrics';
import { maskPhonesInErrors } from './customers/phone-visibility';
import { openApiRoutes } from './openapi/openapi.routes';

export interface CreateAppOptions {
  config: AppConfig;
  ds: DataSource;
  clock?: Clock;
  attribution?: AttributionSource;
  logger?: Logger;
  events?: DomainEvents;
}

export function createApp(opts: CreateAppOptions): { koa: Koa; ctx: AppContext; followups: FollowupService } {
  const ctx: AppContext = {
    config: opts.config,
    ds: opts.ds,
    tx: new Tx(opts.ds),
    clock: opts.clock ?? systemClock,
    tokens: new TokenService(opts.config.sessionSecret, opts.config.sessionTtlSeconds),
    attribution: opts.attribution ?? getAttribution(),
    events: opts.events ?? new DomainEvents(),
    actors: new ActorCache(opts.config.authCacheMs ?? 0),
  };
  const leads = new LeadService(ctx);
  const followups = new FollowupService(ctx, leads);
  const sidebar = sidebarModule(ctx);
  const intake = intakeRoutingModule(ctx, leads);
  const alarms = alarmsModule(ctx);
  const metrics = metricsModule(ctx); // last: facts are recomputed after other subscribers changed the lead

  const koa = new Koa({ proxy: true });
  koa.silent = true; // errors are logged by requestContext/errorHandler, with the request id
  koa.use(requestContext(opts.logger ?? rootLogger));
  koa.use(errorHandler());
  koa.use(sidebar.raw.routes()); // audio upload: before the JSON-only body rule
  koa.use(intake.raw.routes()); // Excel/CSV upload: before the JSON-only body rule
  koa.use(alarms.raw.routes()); // platform callbacks (XML / signed JSON) and console taps read their own bodies
  koa.use(requireJsonBody());
  koa.use(bodyParser({ enableTypes: ['json'], jsonLimit: opts.config.bodyLimit, encoding: 'utf-8' }));

  const open = new Router();
  open.get('/healthz', async (c) => {
    await opts.ds.query('SELECT 1');
    c.body = { status: 'ok', db: dbKindOf(opts.ds) };
  });
  koa.use(open.routes());
  koa.use(openApiRoutes(opts.config).routes()); // the API's own description: open, no data
  for (const r of sidebar.open) koa.use(r.routes());
  for (const r of intake.open) koa.use(r.routes());
  if (opts.config.demo) koa.use(devLoginRoutes(ctx).routes());

  const authed = new Router();
  authed.use('/api', requireAuth(opts.ds, ctx.tokens, ctx.actors), maskPhonesInErrors());
  for (const r of [meRoutes(), directoryRoutes(ctx), customerRoutes(ctx), leadRoutes(ctx, leads, followups), followupRoutes(ctx, followups)]) {
    authed.use(r.routes(), r.allowedMethods());
  }
  authed.use(sidebar.authed.routes(), sidebar.authed.allowedMethods());
  for (const r of intake.authed) authed.use(r.routes(), r.allowedMethods());
  authed.use(alarms.authed.routes(), alarms.authed.allowedMethods());
  authed.use(metrics.authed.routes(), metrics.authed.allowedMethods());
  koa.use(authed.routes());
  return { koa, ctx, followups };
}
