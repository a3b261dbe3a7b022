import type { EntityManager } from 'typeorm';
import type { FieldChange } from '../audit/audit.service';
import type { Customer } from '../customers/customer.entity';
import type { Followup } from '../followups/followup.entity';
import type { Lead } from '../leads/lead.entity';

/** What happened to a lead, as the services see it. `lead` is the state after the change. */
export type DomainEvent =
  /** With the lead's customer as this transaction left it, and whether this transaction created it. */
  | { type: 'lead.created'; lead: Lead; customer: Customer; customerCreated: boolean }
  | { type: 'lead.assigned'; lead: Lead; fromOwnerId: number | null }
  | { type: 'lead.claimed'; lead: Lead }
  | { type: 'lead.updated'; lead: Lead; changes: FieldChange[] }
  | { type: 'lead.deleted'; lead: Lead }
  | { type: 'lead.restored'; lead: Lead }
  | { type: 'followup.created'; followup: Followup; lead: Lead; leadBefore: Lead }
  | { type: 'followup.deleted'; followup: Followup; lead: Lead }
  | { type: 'followup.restored'; followup: Followup; lead: Lead }
  /** A customer's own fields (city, grade, concerns…) changed: every lead of theirs is affected. */
  | { type: 'customer.updated'; customer: Customer; changes: FieldChange[] };

export interface EventMeta {
  companyId: number;
  actorId: number | null;
  at: number;
  requestId?: string;
  /** The company's settings as the acting user's request loaded them, so handlers need not re-read them. */
  companySettings?: object;
}

/** One event as emitted, with its context. */
interface Emitted {
  event: DomainEvent;
  meta: EventMeta;
}

/**
 * Runs inside the transaction of the change: what a handler writes commits or rolls back with it. A handler gets every
 * event of one `emitAll` at once (a group commit emits one per save), in order, so it can write them in one statement.
 */
type DomainEventHandler = (em: EntityManager, emitted: readonly Emitted[]) => Promise<void>;

/**
 * In-transaction domain events. Capabilities that react to lead changes (alarm timers, routing,
 * live metrics, content-by-tag) subscribe here instead of being called from the lead and follow-up
 * services, so those services stay about leads and follow-ups.
 */
export class DomainEvents {
  private readonly handlers: DomainEventHandler[] = [];

  on(handler: DomainEventHandler): void {
    this.handlers.push(handler);
  }

  emit(em: EntityManager, event: DomainEvent, meta: EventMeta): Promise<void> {
    return this.emitAll(em, [{ event, meta }]);
  }

  /** Several events of one transaction; each handler runs once with all of them, handlers one after the other. */
  async emitAll(em: EntityManager, emitted: readonly Emitted[]): Promise<void> {
    if (!emitted.length) return;
    for (const h of this.handlers) await h(em, emitted);
  }
}
