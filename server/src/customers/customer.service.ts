import type { EntityManager } from 'typeorm';
import type { Audit } from '../audit/audit.service';
import { diffFields } from '../audit/audit.service';
import type { AttributionSource } from './attribution';
import { Customer } from './customer.entity';
import { maskPhonesInText } from './phone-visibility';

export interface CustomerInput {
  phone: string;
  name?: string | null;
  province?: string | null;
  city?: string | null;
  grade?: string | null;
  concerns?: string[];
  tags?: string[];
}

export interface AttachResult {
  customer: Customer;
  created: boolean;
  restored: boolean;
}

/**
 * The same phone never makes a second customer: a known phone gets the new lead attached, its blank
 * fields filled (never overwritten: what a rep recorded outranks an ad form) and, if it was in the
 * recycle bin, restored. Run inside a transaction that retries on a unique-key race.
 */
export async function attachCustomer(
  em: EntityManager,
  audit: Audit,
  attribution: AttributionSource,
  companyId: number,
  actorId: number | null,
  input: CustomerInput,
  now: number,
): Promise<AttachResult> {
  input = { ...input, name: customerName(input.name) };
  const repo = em.getRepository(Customer);
  const existing = await repo.findOneBy({ companyId, phone: input.phone });
  const attr = attribution.lookup(input.phone);

  if (!existing) {
    const customer = repo.create({
      companyId,
      phone: input.phone,
      name: input.name ?? null,
      province: input.province ?? attr.province,
      city: input.city ?? attr.city,
      carrier: attr.carrier,
      grade: input.grade ?? null,
      concerns: input.concerns ?? [],
      tags: input.tags ?? [],
      createdBy: actorId,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    });
    await repo.insert(customer);
    await audit.created('customer', customer.id, customer);
    return { customer, created: true, restored: false };
  }

  const fill: Partial<Customer> = {
    name: existing.name ?? input.name ?? undefined,
    province: existing.province ?? input.province ?? attr.province ?? undefined,
    city: existing.city ?? input.city ?? attr.city ?? undefined,
    carrier: existing.carrier ?? attr.carrier ?? undefined,
    grade: existing.grade ?? input.grade ?? undefined,
    concerns: union(existing.concerns, input.concerns),
    tags: union(existing.tags, input.tags),
  };
  const changes = diffFields(existing, fill);
  const restored = existing.deletedAt !== null;
  if (changes.length || restored) {
    const patch = Object.fromEntries(changes.map((c) => [c.field, c.after])) as Partial<Customer>;
    await repo.update({ id: existing.id }, { ...patch, deletedAt: null, updatedAt: now });
    await audit.changed('customer', existing.id, changes);
    if (restored) await audit.changed('customer', existing.id, [{ field: 'deletedAt', before: existing.deletedAt, after: null }], 'restore');
    Object.assign(existing, patch, { deletedAt: null, updatedAt: now });
  }
  return { customer: existing, created: false, restored };
}

function union(a: string[] | null | undefined, b: string[] | null | undefined): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}

/**
 * A name is how to address the customer (王妈妈). A phone typed or pasted into it is stored masked: the name travels
 * everywhere a phone is masked (lists, drills, alarm cards on WeCom/DingTalk, exports), and the number belongs in `phone`.
 */
export function customerName<T extends string | null | undefined>(name: T): T {
  return (typeof name === 'string' ? maskPhonesInText(name) : name) as T;
}
