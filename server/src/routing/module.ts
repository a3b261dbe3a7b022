import type Router from '@koa/router';
import type { AppContext } from '../context';
import type { LeadService } from '../leads/leads.service';
import { ContentService } from '../content/content.service';
import { contentRoutes } from '../content/content.routes';
import { ImportService } from '../intake/import.service';
import { importRoutes, importUploadRoutes } from '../intake/import.routes';
import { IntakeService } from '../intake/intake.service';
import { intakeAdminRoutes, intakeOpenRoutes, spiRoutes } from '../intake/intake.routes';
import { formRoutes } from '../forms/routes';
import { ScoringService } from '../scoring/scoring.service';
import { scoringRoutes } from '../scoring/scoring.routes';
import { RoutingService } from './routing.service';
import { routingRoutes } from './routing.routes';

/**
 * Intake, scoring, routing and content-by-tag, assembled once: services, their event subscriptions
 * (routing places new leads; content reacts to tags) and their routers, grouped by how app.ts mounts them.
 */
export function intakeRoutingModule(ctx: AppContext, leads: LeadService) {
  const routing = new RoutingService(ctx, leads);
  const content = new ContentService(ctx);
  // Content first: routing locks the pool's cursor row until commit, so it should be the last work done.
  content.subscribe();
  routing.subscribe();
  const intake = new IntakeService(ctx, leads);
  const imports = new ImportService(ctx, leads);
  const scoring = new ScoringService(ctx);
  return {
    services: { routing, content, intake, imports, scoring },
    /** Raw bodies (uploads, signed platform pushes): mounted before the JSON-only body rule; each authenticates itself. */
    raw: [importUploadRoutes(ctx, imports), spiRoutes(intake), formRoutes(ctx, intake)] as Router[],
    /** Outside callers (ad platforms, forms): per-channel key or signature, no session. */
    open: [intakeOpenRoutes(intake)] as Router[],
    authed: [
      routingRoutes(routing),
      scoringRoutes(ctx, scoring),
      intakeAdminRoutes(ctx, intake, leads),
      importRoutes(imports),
      contentRoutes(content),
    ] as Router[],
  };
}
