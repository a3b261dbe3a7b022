import type Router from '@koa/router';
import type { AppContext } from '../context';
import type { LeadService } from '../leads/leads.service';
import type { ScoringService } from '../scoring/scoring.service';
import type { SourceCache } from '../integrations/source-cache';
import { Signals } from './service';
import { chatRoutes, signalRoutes } from './routes';

/**
 * Live intent signals (docs/signals.md): follow-ups and voice entries read in their own transaction, the archive
 * sidecar's chat messages, the settings, each lead's signal list; the fading refresh and chat purge the process runs.
 */
export function signalsModule(ctx: AppContext, leads: LeadService, scoring: ScoringService, sources: SourceCache) {
  const signals = new Signals(ctx, sources);
  signals.subscribe();
  return {
    signals,
    /** The sidecar's signed push: no session (the signature over the body is its credential). */
    open: [chatRoutes(signals)] as Router[],
    authed: [signalRoutes(ctx, scoring, leads)] as Router[],
  };
}

export { linkChatContact } from './contacts';
