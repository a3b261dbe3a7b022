import { signalsModule } from './signals';
import { leaderboardModule } from './leaderboard';
import { reviewRoutes } from './reviews/routes';
import type { Signals } from './signals/service';
import type { Experiments } from './routing/experiments';
import Koa from 'koa';
import Router from '@koa/router';
import { retryingDatabaseFailures } from './http/retry-requests';
import { bodyParser } from '@koa/bodyparser';
import type { DataSource } from 'typeorm';
import type { AppConfig } from './config';
import type { AppContext } from './context';
import { systemClock, type Clock } from './clock';
import { Tx } from './db/tx';
import { NO_CHECKPOINTS, type Checkpoints } from './checkpoints';
import { DomainEvents } from './events/domain-events';
import { dbKindOf } from './db/data-source';
import { TokenService } from './auth/token';
import { requireAuth } from './auth/auth.middleware';
import { ActorCache } from './auth/actor-cache';
import { devLoginRoutes, meRoutes } from './auth/auth.routes';
import { todoRoutes } from './todo';
import { vocabularyRoutes } from './companies/vocabulary.routes';
import { getAttribution, type AttributionSource } from './customers/attribution';
import { customerRoutes } from './customers/customers.routes';
import { LeadService } from './leads/leads.service';
import { leadRoutes } from './leads/leads.routes';
import { FollowupService } from './followups/followups.service';
import { followupRoutes } from './followups/followups.routes';
import { directoryRoutes } from './users/users.routes';
import { peopleRoutes } from './users';
import { errorHandler, requestContext, requireJsonBody } from './http/middleware';
import { logger as rootLogger, type Logger } from './logger';
import { sidebarModule } from './sidebar';
import { intakeRoutingModule } from './routing/module';
import { integrationsModule } from './integrations';
import type { WebhookSender } from './integrations/webhook-sender';
import type { Consistency } from './integrations/consistency';
import { alarmsModule, timersStep } from './alarms';
import { conversationsStep, factsStep, metricsModule } from './metrics';
import { Projector } from './projector/projector';
import { subscribeOutbox } from './projector/outbox';
import { maskPhonesInErrors } from './customers/phone-visibility';
import { openApiRoutes } from './openapi/openapi.routes';
import type { Channels } from './channels/port';
import { LocalChannel } from './platforms/local/local-channel';
import { WecomApi } from './platforms/wecom/wecom-api';
import { WecomChannel } from './platforms/wecom/messages';
import { WecomGroupRobot } from './platforms/wecom/robot';
import { DingtalkApi } from './platforms/dingtalk/dingtalk-api';
import { DingtalkChannel } from './platforms/dingtalk/messages';
import { DingtalkCards, cardsEnabled } from './platforms/dingtalk/cards';
import { DingtalkGroupRobot } from './platforms/dingtalk/robot';
import { PlatformEvents } from './platforms/platform-events';
import { directoryModule } from './directory';
import { linkLoginRoutes, onboardingRoutes } from './onboarding/routes';
import { historyRoutes } from './history/routes';
import { healthRoutes } from './health/routes';
import { snapshotRoutes } from './snapshots';

interface CreateAppOptions {
  config: AppConfig;
  ds: DataSource;
  clock?: Clock;
  attribution?: AttributionSource;
  logger?: Logger;
  events?: DomainEvents;
  /** Replaces some of the composed chat channels (tests). */
  channels?: Partial<Channels>;
  /** Where race tests hold transactions (default: nowhere). */
  checkpoints?: Checkpoints;
}

/**
 * The chat channels, composed here and only here: WeCom / DingTalk when configured, each group robot when its
 * webhook is set, and the local console for everything else.
 */
function composeChannels(config: AppConfig, clock: Clock): Channels {
  const local = new LocalChannel();
  const dt = config.dingtalk;
  const dtApi = dt ? new DingtalkApi(dt, clock) : null;
  return {
    local,
    wecom: config.wecom ? new WecomChannel(new WecomApi(config.wecom, clock)) : local,
    dingtalk:
      dt && dtApi ? new DingtalkChannel(dtApi, dt, cardsEnabled(dt) ? new DingtalkCards(dtApi, dt, config.sessionSecret, config.publicUrl) : undefined) : local,
    wecom_grp: config.alarms?.wecomGroupRobotUrl ? new WecomGroupRobot(config.alarms.wecomGroupRobotUrl) : local,
    ding_grp: config.alarms?.dingtalkRobotWebhook
      ? new DingtalkGroupRobot(config.alarms.dingtalkRobotWebhook, config.alarms.dingtalkRobotSecret, () => clock.now())
      : local,
  };
}

export function createApp(opts: CreateAppOptions): {
  koa: Koa;
  ctx: AppContext;
  followups: FollowupService;
  projector: Projector;
  webhookSender: WebhookSender;
  consistency: Consistency;
  signals: Signals;
  experiments: Experiments;
} {
  const clock = opts.clock ?? systemClock;
  const checkpoints = opts.checkpoints ?? NO_CHECKPOINTS;
  const ctx: AppContext = {
    config: opts.config,
    ds: opts.ds,
    tx: new Tx(opts.ds, checkpoints),
    checkpoints,
    clock,
    tokens: new TokenService(opts.config.sessionSecret, opts.config.sessionTtlSeconds),
    attribution: opts.attribution ?? getAttribution(),
    events: opts.events ?? new DomainEvents(),
    actors: new ActorCache(opts.config.authCacheMs ?? 0),
    platformEvents: new PlatformEvents(),
    // Composed when an engine is built, from the config at that moment (tests swap the config after createApp).
    channels: () => ({ ...composeChannels(ctx.config, clock), ...opts.channels }),
  };
  const leads = new LeadService(ctx);
  const followups = new FollowupService(ctx, leads);
  const sidebar = sidebarModule(ctx);
  const intake = intakeRoutingModule(ctx, leads);
  const alarms = alarmsModule(ctx);
  const metrics = metricsModule(ctx);
  const integrations = integrationsModule(ctx, leads);
  const signals = signalsModule(ctx, leads, intake.services.scoring, integrations.sources);
  const leaderboard = leaderboardModule(ctx);
  const reviews = reviewRoutes(ctx, intake.services.scoring);
  // Derived state: every business transaction records the leads it touched; the projector recomputes them after commit.
  subscribeOutbox(ctx);
  const projector = new Projector(ctx, [factsStep(ctx), conversationsStep, timersStep(ctx)], opts.config.projector);

  const koa = new Koa({ proxy: true });
  koa.silent = true; // errors are logged by requestContext/errorHandler, with the request id
  koa.use(requestContext(opts.logger ?? rootLogger));
  koa.use(errorHandler());
  koa.use(sidebar.raw.routes()); // audio upload: before the JSON-only body rule
  for (const r of [...intake.raw, ...integrations.raw]) koa.use(r.routes()); // uploads and signed pushes: before the JSON-only body rule
  koa.use(alarms.raw.routes()); // platform callbacks (XML / signed JSON) and console taps read their own bodies
  koa.use(requireJsonBody());
  koa.use(bodyParser({ enableTypes: ['json'], jsonLimit: opts.config.bodyLimit, encoding: 'utf-8' }));

  const open = new Router();
  open.get('/healthz', async (c) => {
    await opts.ds.query('SELECT 1');
    const derived = await projector.health();
    // ?lagWindow=<seconds> (1-3600, default 60): the window of this process's projection lag figures.
    const window = Math.min(3600, Math.max(1, Number(c.query.lagWindow) || 60));
    c.body = { status: derived.failing > 0 ? 'degraded' : 'ok', db: dbKindOf(opts.ds), projector: { ...derived, lagMs: projector.lag(window * 1000) } };
  });
  koa.use(open.routes());
  koa.use(openApiRoutes(opts.config).routes()); // the API's own description: open, no data
  for (const r of sidebar.open) koa.use(retryingDatabaseFailures(r.routes()));
  for (const r of [...intake.open, ...integrations.open, ...signals.open]) koa.use(retryingDatabaseFailures(r.routes()));
  koa.use(retryingDatabaseFailures(linkLoginRoutes(ctx).routes())); // one-time sign-in links (docs/onboarding.md)
  if (opts.config.demo) koa.use(retryingDatabaseFailures(devLoginRoutes(ctx).routes()));

  const authed = new Router();
  authed.use('/api', requireAuth(opts.ds, ctx.tokens, ctx.actors), maskPhonesInErrors());
  for (const r of [
    meRoutes(),
    peopleRoutes(ctx),
    directoryRoutes(ctx),
    customerRoutes(ctx),
    leadRoutes(ctx, leads, followups),
    followupRoutes(ctx, followups),
    onboardingRoutes(ctx),
    todoRoutes(ctx),
    vocabularyRoutes(ctx),
    historyRoutes(ctx),
    healthRoutes(ctx),
    snapshotRoutes(ctx),
  ]) {
    authed.use(r.routes(), r.allowedMethods());
  }
  authed.use(sidebar.authed.routes(), sidebar.authed.allowedMethods());
  for (const r of [...intake.authed, ...integrations.authed, ...signals.authed, ...leaderboard.authed, reviews]) authed.use(r.routes(), r.allowedMethods());
  authed.use(alarms.authed.routes(), alarms.authed.allowedMethods());
  authed.use(metrics.authed.routes(), metrics.authed.allowedMethods());
  for (const r of [directoryModule(ctx).authed]) authed.use(r.routes(), r.allowedMethods()); // directory sync (docs/directory.md)
  koa.use(retryingDatabaseFailures(authed.routes()));
  return {
    koa,
    ctx,
    followups,
    projector,
    webhookSender: integrations.sender,
    consistency: integrations.consistency,
    signals: signals.signals,
    experiments: intake.services.routing.experiments,
  };
}
