import type { Middleware, ParameterizedContext } from 'koa';
import { withRetries } from '../db/retry';

/**
 * Runs a JSON API router again for a read (GET, HEAD) when the database failed under it in a way the retry policy
 * retries (db/retry.ts) and no transaction already retried it: a read on a connection to a node that just died, say. Routers that read a raw
 * body stream (uploads, signed pushes, platform callbacks) are not wrapped: their stream cannot be read twice, and
 * their senders retry on a 503. Handlers set their answer last, after their reads and writes: a failed run leaves
 * nothing of its own in the response.
 */
export function retryingDatabaseFailures<C extends ParameterizedContext>(router: (ctx: C, next: () => Promise<unknown>) => unknown): Middleware {
  const wrapped: Middleware = (ctx, next) => {
    // Only reads: a write request may have committed before a later step failed (a second lead, a one-time code or
    // sign-in link spent twice). Writes are retried inside their transaction, and clients resend them with their keys.
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return Promise.resolve(router(ctx as unknown as C, next));
    return withRetries(() => Promise.resolve(router(ctx as unknown as C, next)), {
      onRetry: (reason, attempt) => ctx.state.log?.warn({ reason, attempt }, 'request run again after a database failure'),
    });
  };
  // @koa/router's middleware carries its router (`.router`): what lists the app's routes (OpenAPI and role tests) reads.
  return Object.assign(wrapped, { router: (router as { router?: unknown }).router });
}
