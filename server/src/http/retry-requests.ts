import type { Middleware, ParameterizedContext } from 'koa';
import { withRetries } from '../db/retry';

/**
 * Runs a JSON API router again when the database failed under it in a way the retry policy retries (db/retry.ts) and
 * no transaction already retried it: a read outside a transaction on a connection to a node that just died, say.
 * Safe because every handler is a read or an idempotent unit of work (idempotency keys, unique keys, conditional
 * updates), and the request's JSON body was parsed before: a rerun sees the same request. Routers that read a raw
 * body stream (uploads, signed pushes, platform callbacks) are not wrapped: their stream cannot be read twice, and
 * their senders retry on a 503. Handlers set their answer last, after their reads and writes: a failed run leaves
 * nothing of its own in the response.
 */
export function retryingDatabaseFailures<C extends ParameterizedContext>(router: (ctx: C, next: () => Promise<unknown>) => unknown): Middleware {
  const wrapped: Middleware = (ctx, next) =>
    withRetries(() => Promise.resolve(router(ctx as unknown as C, next)), {
      onRetry: (reason, attempt) => ctx.state.log?.warn({ reason, attempt }, 'request run again after a database failure'),
    });
  // @koa/router's middleware carries its router (`.router`): what lists the app's routes (OpenAPI and role tests) reads.
  return Object.assign(wrapped, { router: (router as { router?: unknown }).router });
}
