import type { AppContext } from '../context';
import { subscribeMetricFacts } from './fact-updater';
import { metricsRoutes } from './metrics.routes';

export { subscribeMetricFacts } from './fact-updater';
export { refreshLeadFacts } from './facts';

/**
 * Journey facts, KPIs and dashboards. Subscribe after every capability that changes leads inside an event
 * (routing), so the facts are recomputed from the final state of each change.
 */
export function metricsModule(app: AppContext) {
  subscribeMetricFacts(app);
  return { authed: metricsRoutes(app) };
}
