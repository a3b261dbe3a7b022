import type { Middleware, ParameterizedContext } from 'koa';
import { markGaveUp, withRetries } from '../db/retry';
import { countingCommits } from '../db/tx';

/**
 * Runs a JSON API router again when the database failed under it in a way the retry policy retries (db/retry.ts) and
 * no transaction already retried it — a read outside a transaction on a connection to a node that just died, say —
 * provided the failed run committed no unit of work: then nothing of it was written, and a rerun is the request made
 * once. A request that committed a unit before a later step failed is answered 503 (a second lead, a one-time code
 * spent twice…); clients resend writes with their keys. Routers that read a raw body stream (uploads, signed pushes,
 * platform callbacks) are not wrapped: their stream cannot be read twice, and their senders retry on a 503. Handlers
 * set their answer last, after their reads and writes: a failed run leaves nothing of its own in the response.
 */
export function retryingDatabaseFailures<C extends ParameterizedContext>(router: (ctx: C, next: () => Promise<unknown>) => unknown): Middleware {
  const wrapped: Middleware = (ctx, next) =>
    withRetries(
      async () => {
        const run = await countingCommits(() => Promise.resolve(router(ctx as unknown as C, next)));
        if ('value' in run) return run.value;
        if (run.committed > 0) markGaveUp(run.error); // part of it is written: not run again whole
        throw run.error;
      },
      { onRetry: (reason, attempt) => ctx.state.log?.warn({ reason, attempt }, 'request run again after a database failure') },
    );
  // @koa/router's middleware carries its router (`.router`): what lists the app's routes (OpenAPI and role tests) reads.
  return Object.assign(wrapped, { router: (router as { router?: unknown }).router });
}
