import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { EventMapping, SourceKind, TicketStatus } from '@lifeline/shared/src/integrations';
import { bigintNumber, epochMs, jsonText } from '../db/columns';

/** A system that sends business events in (finance, after-sales, …): a URL code, a signing secret, a mapping. */
@Entity('event_source')
@Index('uq_event_source_code', ['code'], { unique: true })
export class EventSource {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 32 }) code: string;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 16 }) kind: SourceKind;
  /** HMAC key: kept in clear because a signature check needs it; shown once at creation, never returned again. */
  @Column({ type: 'varchar', length: 128 }) secret: string;
  @Column({ type: 'text', transformer: jsonText }) mapping: EventMapping;
  /** After-sales: ticket categories that count as faults (when the payload has no `fault` flag). */
  @Column({ type: 'text', transformer: jsonText }) faultCategories: string[];
  /** Where the source answers the consistency report's pull (GET, signed like our webhooks); null: uploads only. */
  @Column({ type: 'varchar', length: 500, nullable: true }) pullUrl: string | null;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}

/** applied: took effect; parked: waiting for a person (unknown customer…); dismissed: a person decided to drop it. */
export type InboundStatus = 'applied' | 'parked' | 'dismissed';

/** Every event received, raw, once per (source, event id): the archive, the idempotency key and the review list. */
@Entity('inbound_event')
@Index('uq_inbound_event_source', ['sourceId', 'eventId'], { unique: true })
@Index('idx_inbound_event_status', ['companyId', 'status', 'receivedAt'])
@Index('idx_inbound_event_customer', ['companyId', 'customerId'])
export class InboundEvent {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) sourceId: number;
  @Column({ type: 'varchar', length: 64 }) eventId: string;
  @Column({ type: 'varchar', length: 16 }) kind: SourceKind;
  /** sha256 of the raw body: the same event id with different content is a conflict, not a retry. */
  @Column({ type: 'varchar', length: 64 }) payloadHash: string;
  @Column({ type: 'text' }) payload: string;
  @Column({ type: 'varchar', length: 16 }) status: InboundStatus;
  @Column({ type: 'varchar', length: 200, nullable: true }) reason: string | null;
  @Column({ type: 'int', nullable: true }) customerId: number | null;
  @Column({ type: 'int', nullable: true }) leadId: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) occurredAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) receivedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) resolvedAt: number | null;
  @Column({ type: 'int', nullable: true }) resolvedBy: number | null;
}

/** Money received for a lead (a finance 回款): revenue per lead and per channel. */
@Entity('lead_revenue')
@Index('idx_lead_revenue_paid', ['companyId', 'paidAt'])
@Index('idx_lead_revenue_lead', ['companyId', 'leadId'])
export class LeadRevenue {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'int' }) customerId: number;
  /** The lead's channel when the money came in (ROI per channel). */
  @Column({ type: 'varchar', length: 64 }) channel: string;
  @Column({ type: 'bigint', transformer: bigintNumber }) amountFen: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) contractNo: string | null;
  @Column({ type: 'bigint', transformer: epochMs }) paidAt: number;
  @Column({ type: 'int' }) inboundEventId: number;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}

/** An after-sales ticket as the after-sales system last reported it. */
@Entity('service_ticket')
@Index('uq_service_ticket_source', ['sourceId', 'ticketId'], { unique: true })
@Index('idx_service_ticket_customer', ['companyId', 'customerId', 'status'])
export class ServiceTicket {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) sourceId: number;
  @Column({ type: 'int' }) customerId: number;
  @Column({ type: 'varchar', length: 64 }) ticketId: string;
  @Column({ type: 'varchar', length: 32 }) category: string;
  @Column({ type: 'boolean', default: false }) fault: boolean;
  @Column({ type: 'varchar', length: 16 }) status: TicketStatus;
  @Column({ type: 'varchar', length: 200, nullable: true }) summary: string | null;
  @Column({ type: 'bigint', transformer: epochMs }) openedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) closedAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}
