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

// A digit as typed or pasted: ASCII or full-width (Chinese IMEs).
const D = '[0-9\\uFF10-\\uFF19]';
// Any run of what people put between digits: spaces (incl. U+3000, NBSP), dots, hyphens and dashes (ASCII,
// en/em dash, full-width), underscores, brackets (ASCII and full-width), slashes.
const SEP = '[\\s.\\-\\u2010-\\u2015\\uFF0D_()\\uFF08\\uFF09/\\uFF0F]*';
const PREFIX = `(?:[+\\uFF0B]?(?:[0\\uFF10]{2})?[8\\uFF18][6\\uFF16]${SEP})?`;
/**
 * A mainland mobile inside any text, however it is written: `13915441234`, `139 1544 1234`, `139.1544.1234`,
 * `139 154 41234`, `139–1544–1234`, `+86 139-1544-1234`, `8613915441234`, `0086 139…`, full-width `１３９…`.
 * Capture 1 is the number with its separators (no prefix).
 */
const MOBILE_IN_TEXT = new RegExp(`(?<!${D})${PREFIX}([1\\uFF11]${SEP}[3-9\\uFF13-\\uFF19](?:${SEP}${D}){9})(?!${D})`, 'g');

/** Full-width digits as ASCII, everything else dropped: `１３９-1544 1234` → `13915441234`. */
function digitsOf(text: string): string {
  return text.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\D/g, '');
}

/** Every mobile number in the text masked as 139****1234. */
export function maskPhonesInText(text: string): string {
  return text.replace(MOBILE_IN_TEXT, (_m, number: string) => maskPhone(digitsOf(number)));
}

/**
 * A copy of any JSON-like value with every mobile number masked: in strings, in numbers that are mobiles
 * (`13915441234`, `8613915441234`, which become masked strings) and in object keys.
 */
export function maskPhonesDeep<T>(value: T): T {
  if (typeof value === 'string') return maskPhonesInText(value) as T;
  if (typeof value === 'number' || typeof value === 'bigint') {
    const text = String(value);
    const masked = maskPhonesInText(text);
    return (masked === text ? value : masked) as T;
  }
  if (Array.isArray(value)) return value.map(maskPhonesDeep) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [maskPhonesInText(k), maskPhonesDeep(v)])) as T;
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
