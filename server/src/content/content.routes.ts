import Router from '@koa/router';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { idParam, requestIdOf } from '../http/router-kit';
import { contentItemSchema, type ContentService } from './content.service';
import { allow } from '../auth/permissions';

export function contentRoutes(content: ContentService): Router {
  const r = new Router({ prefix: '/api' });
  r.get('/customers/:id/content-queue', async (ctx) => {
    ctx.body = await content.queue(actorOf(ctx), idParam(ctx));
  });
  r.post('/content-queue/:id/sent', allow('content.send'), async (ctx) => {
    ctx.body = await content.markSent(actorOf(ctx), idParam(ctx), requestIdOf(ctx));
  });
  r.get('/content/items', async (ctx) => {
    ctx.body = await content.items(actorOf(ctx));
  });
  r.post('/content/items', allow('content.configure'), async (ctx) => {
    ctx.status = 201;
    ctx.body = await content.addItem(actorOf(ctx), parseInput(contentItemSchema, ctx.request.body), requestIdOf(ctx));
  });
  r.delete('/content/items/:id', allow('content.configure'), async (ctx) => {
    ctx.body = await content.removeItem(actorOf(ctx), idParam(ctx), requestIdOf(ctx));
  });
  return r;
}
