import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import type { DomainEvent } from '../events/domain-events';

/**
 * The transactional outbox of derived state. A business transaction names every lead whose derived state (facts,
 * rollups, conversation flags, alarm timers) its change may move, in one `lead_change` row each, in the same
 * transaction: committed together or not at all. The projector does the rest after commit.
 */
export async function recordLeadChanges(em: EntityManager, companyId: number, leadIds: number[], at: number): Promise<void> {
  await insertChanges(
    em,
    [...new Set(leadIds)].map((leadId) => ({ companyId, leadId, at })),
  );
}

async function insertChanges(em: EntityManager, rows: { companyId: number; leadId: number; at: number }[]): Promise<void> {
  if (!rows.length) return;
  await em.query(
    `INSERT INTO lead_change (companyId, leadId, createdAt, attempts) VALUES ${rows.map(() => '(?, ?, ?, 0)').join(', ')}`,
    rows.flatMap((r) => [r.companyId, r.leadId, r.at]),
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

/** Each lead once per transaction (an intake that creates and then assigns a lead writes one row); one INSERT per emit. */
export function subscribeOutbox(app: Pick<AppContext, 'events'>): void {
  const written = new WeakMap<EntityManager, Set<number>>();
  app.events.on(async (em, emitted) => {
    let seen = written.get(em);
    if (!seen) written.set(em, (seen = new Set()));
    const rows: { companyId: number; leadId: number; at: number }[] = [];
    for (const { event, meta } of emitted) {
      for (const leadId of await touchedBy(em, meta.companyId, event)) {
        if (seen.has(leadId)) continue;
        seen.add(leadId);
        rows.push({ companyId: meta.companyId, leadId, at: meta.at });
      }
    }
    await insertChanges(em, rows);
  });
}
