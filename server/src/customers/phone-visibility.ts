import type { Context, Next } from 'koa';
import { maskPhone } from '@lifeline/shared';
import type { Actor } from '../auth/actor';
import { AppError } from '../http/errors';

/** Full number for roles the company lets see phones; 138****1234 for everyone else. */
export function canSeePhone(actor: Pick<Actor, 'role' | 'settings'>): boolean {
  return actor.settings.phoneVisibleRoles.includes(actor.role);
}

export function phoneFor(actor: Actor, phone: string): { phone: string; phoneMasked: boolean } {
  return canSeePhone(actor) ? { phone, phoneMasked: false } : { phone: maskPhone(phone), phoneMasked: true };
}

/** A mainland mobile inside any text, as typed or pasted: `13915441234`, `139 1544 1234`, `+86 139-1544-1234`. */
const MOBILE_IN_TEXT = /(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)/g;
const MOBILE_NUMBER = /^1[3-9]\d{9}$/;

/** Every mobile number in the text masked as 139****1234. */
export function maskPhonesInText(text: string): string {
  return text.replace(MOBILE_IN_TEXT, (_m, head: string, _mid: string, tail: string) => `${head}****${tail}`);
}

/** A copy of any JSON-like value with every mobile number masked: in strings, and numbers that are mobiles. */
export function maskPhonesDeep<T>(value: T): T {
  if (typeof value === 'string') return maskPhonesInText(value) as T;
  if (typeof value === 'number') return (MOBILE_NUMBER.test(String(value)) ? maskPhone(String(value)) : value) as T;
  if (Array.isArray(value)) return value.map(maskPhonesDeep) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskPhonesDeep(v)])) as T;
  }
  return value;
}

/**
 * The one masking rule for free-form response data (audit rows, archived payloads, timelines, reports):
 * unchanged for roles that see phones, every mobile number masked for everyone else.
 */
export function forViewer<T>(actor: Pick<Actor, 'role' | 'settings'>, value: T): T {
  return canSeePhone(actor) ? value : maskPhonesDeep(value);
}

/**
 * Error answers follow the same rule: a message or details that quote a number (a rejected row, a clash)
 * never show a masked role someone's full phone. Mounted after the auth guard, so the actor is known.
 */
export function maskPhonesInErrors() {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      const actor = ctx.state.actor as Actor | undefined;
      if (err instanceof AppError && actor && !canSeePhone(actor)) {
        throw new AppError(err.status, err.code, maskPhonesInText(err.message), maskPhonesDeep(err.details));
      }
      throw err;
    }
  };
}
