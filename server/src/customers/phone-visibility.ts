import { maskPhone } from '@lifeline/shared';
import type { Actor } from '../auth/actor';

/** Full number for roles the company lets see phones; 138****1234 for everyone else. */
export function canSeePhone(actor: Actor): boolean {
  return actor.settings.phoneVisibleRoles.includes(actor.role);
}

export function phoneFor(actor: Actor, phone: string): { phone: string; phoneMasked: boolean } {
  return canSeePhone(actor) ? { phone, phoneMasked: false } : { phone: maskPhone(phone), phoneMasked: true };
}
