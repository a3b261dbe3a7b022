import type { AppContext } from '../context';
import { metricsRoutes } from './metrics.routes';
import { subscribeScriptFollowupCounts } from './script-followup-counts';

export { conversationsStep, factsStep } from './projection';

/**
 * Journey facts, KPIs and dashboards. Facts, rollups and conversation flags are derived state: the projector
 * recomputes them after each committed change (`factsStep`, `conversationsStep`, composed in app.ts).
 */
export function metricsModule(app: AppContext) {
  subscribeScriptFollowupCounts(app);
  return { authed: metricsRoutes(app) };
}
