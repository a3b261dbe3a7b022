import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import type { DomainEvent } from '../events/domain-events';

/**
 * The transactional outbox of derived state. A business transaction names every lead whose derived state (facts,
 * rollups, conversation flags, alarm timers) its change may move, in one `lead_change` row each, in the same
 * transaction: committed together or not at all. The projector does the rest after commit.
 */
export async function recordLeadChanges(em: EntityManager, companyId: number, leadIds: number[], at: number): Promise<void> {
  const ids = [...new Set(leadIds)];
  if (!ids.length) return;
  await em.query(
    `INSERT INTO lead_change (companyId, leadId, createdAt, attempts) VALUES ${ids.map(() => '(?, ?, ?, 0)').join(', ')}`,
    ids.flatMap((id) => [companyId, id, at]),
  );
}

/** Every lead of a customer: whichever is their newest live lead carries the customer's profile in the KPIs. */
export async function customerLeadIds(em: EntityManager, companyId: number, customerId: number): Promise<number[]> {
  const rows: { id: number }[] = await em.query('SELECT id FROM `lead` WHERE companyId = ? AND customerId = ?', [companyId, customerId]);
  return rows.map((r) => Number(r.id));
}

/** The leads whose derived state an event may change. */
async function touchedBy(em: EntityManager, companyId: number, event: DomainEvent): Promise<number[]> {
  switch (event.type) {
    case 'customer.updated':
      return customerLeadIds(em, companyId, event.customer.id);
    case 'lead.created':
      return event.customerCreated ? [event.lead.id] : customerLeadIds(em, companyId, event.customer.id);
    case 'lead.deleted':
    case 'lead.restored':
      return customerLeadIds(em, companyId, event.lead.customerId);
    default:
      return [event.lead.id];
  }
}

/** Each lead once per transaction: an intake that creates and then assigns a lead writes one row. */
export function subscribeOutbox(app: Pick<AppContext, 'events'>): void {
  const written = new WeakMap<EntityManager, Set<number>>();
  app.events.on(async (em, event, meta) => {
    let seen = written.get(em);
    if (!seen) written.set(em, (seen = new Set()));
    const fresh = (await touchedBy(em, meta.companyId, event)).filter((id) => !seen!.has(id));
    fresh.forEach((id) => seen!.add(id));
    await recordLeadChanges(em, meta.companyId, fresh, meta.at);
  });
}
