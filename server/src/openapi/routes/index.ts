import type { RouteDoc } from '../route-doc';
import { authRoutes, customerRoutes, directoryRoutes, followupRoutes, leadRoutes, systemRoutes } from './core';
import { contentRoutes, intakeRoutes, routingRoutes } from './intake';
import { alarmRoutes, scriptRoutes } from './alarms';
import { sidebarRoutes } from './sidebar';
import { metricsRoutes } from './metrics';
import { peopleRoutes } from './people';
import { directorySyncRoutes } from './directory-sync';
import { onboardingRoutes } from './onboarding';
import { workbenchRoutes } from './workbench';
import { dataSafetyRoutes } from './data-safety';
import { integrationRoutes } from './integrations';
import { signalRoutes } from './signals';
import { leaderboardRoutes } from './leaderboard';
import { reviewRoutes } from './reviews';

/** Every HTTP route the app serves. test/server/openapi.test.ts fails when this and the mounted routers differ. */
export const ROUTE_DOCS: readonly RouteDoc[] = [
  ...systemRoutes,
  ...authRoutes,
  ...directoryRoutes,
  ...peopleRoutes,
  ...directorySyncRoutes,
  ...onboardingRoutes,
  ...customerRoutes,
  ...leadRoutes,
  ...workbenchRoutes,
  ...followupRoutes,
  ...intakeRoutes,
  ...routingRoutes,
  ...contentRoutes,
  ...scriptRoutes,
  ...alarmRoutes,
  ...sidebarRoutes,
  ...metricsRoutes,
  ...dataSafetyRoutes,
  ...integrationRoutes,
  ...signalRoutes,
  ...leaderboardRoutes,
  ...reviewRoutes,
];
