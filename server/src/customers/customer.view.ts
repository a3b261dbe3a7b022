import type { Actor } from '../auth/actor';
import type { Customer } from './customer.entity';
import { phoneFor } from './phone-visibility';

export function customerView(actor: Actor, c: Customer) {
  return {
    id: c.id,
    ...phoneFor(actor, c.phone),
    name: c.name,
    province: c.province,
    city: c.city,
    carrier: c.carrier,
    grade: c.grade,
    concerns: c.concerns ?? [],
    tags: c.tags ?? [],
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    deletedAt: c.deletedAt,
  };
}
