import Router from '@koa/router';
import { signalSettingsPatchSchema } from '@lifeline/shared/src/signals';
import { DEFAULT_SIGNAL_SETTINGS } from '@lifeline/shared/src/signals';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { allow } from '../auth/permissions';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../integrations/signing';
import type { ScoringService } from '../scoring/scoring.service';
import type { Signals } from './service';
import type { LeadService } from '../leads/leads.service';
import { saveSignalSettings } from './settings';
import { leadSignals } from './lead-signals';

export const SOURCE_HEADER = 'x-lifeline-source';

/**
 * The archive sidecar's push: signed like inbound events, the source named in a header (its code). Mounted after the
 * JSON body parser (JSON only, the configured body limit); the signature is checked over the raw text it kept.
 */
export function chatRoutes(signals: Signals): Router {
  const r = new Router();
  r.post('/api/chat-messages', async (ctx) => {
    ctx.body = await signals.receiveChat({
      code: ctx.get(SOURCE_HEADER),
      rawBody: Buffer.from(ctx.request.rawBody ?? '', 'utf8'),
      timestamp: ctx.get(TIMESTAMP_HEADER) || undefined,
      signature: ctx.get(SIGNATURE_HEADER) || undefined,
      requestId: requestIdOf(ctx),
    });
  });
  return r;
}

export function signalRoutes(app: AppContext, scoring: ScoringService, leads: LeadService): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/signals/settings', async (ctx) => {
    ctx.body = { settings: actorOf(ctx).settings.signals, defaults: DEFAULT_SIGNAL_SETTINGS };
  });
  r.put('/signals/settings', allow('scoring.configure'), async (ctx) => {
    ctx.body = await saveSignalSettings(app, scoring, actorOf(ctx), parseInput(signalSettingsPatchSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.get('/leads/:id/signals', async (ctx) => {
    ctx.body = await leadSignals(app, leads, actorOf(ctx), idParam(ctx));
  });
  return r;
}
