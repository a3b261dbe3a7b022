import type Router from '@koa/router';
import type { AppContext } from '../context';
import { llmFromConfig } from '../llm';
import { SidebarPlatforms } from './platform-clients';
import { sidebarLoginRoutes } from './login.routes';
import { sidebarRoutes } from './sidebar.routes';
import { voiceUploadRoutes } from './voice-upload';
import { sidebarStaticRoutes } from './static';

/**
 * The sidebar's server side, in three parts because they sit at different places in the middleware chain:
 * `raw` (audio upload, before the JSON-only body rule), `open` (static files, config, platform login) and
 * `authed` (mounted under the /api auth guard).
 */
export function sidebarModule(app: AppContext): { raw: Router; open: Router[]; authed: Router } {
  const platforms = new SidebarPlatforms(app);
  const llm = llmFromConfig(app.config);
  return {
    raw: voiceUploadRoutes(app, llm),
    open: [sidebarStaticRoutes({ demo: app.config.demo }), sidebarLoginRoutes(app, platforms)],
    authed: sidebarRoutes(app, platforms, llm),
  };
}
