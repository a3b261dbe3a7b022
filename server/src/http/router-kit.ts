import type { Context } from 'koa';
import { idSchema } from '@lifeline/shared';
import { parseInput } from './validate';

/** `:id` path parameter as a positive integer, or a 400 saying so. */
export function idParam(ctx: Context, name = 'id'): number {
  return parseInput(idSchema, (ctx.params as Record<string, string>)[name]);
}

export function requestIdOf(ctx: Context): string | undefined {
  return ctx.state.requestId as string | undefined;
}
