import Router from '@koa/router';
import type { AppConfig } from '../config';
import { buildOpenApiDocument } from './document';
import { renderDocsPage } from './docs-page';

/**
 * `GET /api/openapi.json` and `GET /api/docs`: open (they describe the API, they hold no data). Both come from the
 * same route list, for this process's configuration (demo-only routes appear only in demo mode). They are built on
 * first request, not at start-up: generating takes a few hundred milliseconds and most processes never serve them.
 */
export function openApiRoutes(config: Pick<AppConfig, 'demo'>): Router {
  let built: { document: ReturnType<typeof buildOpenApiDocument>; page: string } | undefined;
  const docs = () => {
    if (!built) {
      const document = buildOpenApiDocument({ demo: config.demo });
      built = { document, page: renderDocsPage(document) };
    }
    return built;
  };
  const r = new Router();
  r.get('/api/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = docs().document;
  });
  r.get('/api/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = docs().page;
  });
  return r;
}
