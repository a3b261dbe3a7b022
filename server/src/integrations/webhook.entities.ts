import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { WebhookEvent } from '@lifeline/shared/src/integrations';
import { epochMs, jsonText } from '../db/columns';

/** An outside URL that gets signed POSTs for the events it subscribed to. */
@Entity('webhook_subscription')
@Index('idx_webhook_subscription_company', ['companyId'])
export class WebhookSubscription {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 500 }) url: string;
  @Column({ type: 'text', transformer: jsonText }) events: WebhookEvent[];
  @Column({ type: 'varchar', length: 100, nullable: true }) description: string | null;
  /** HMAC key for the signature header; shown once, never returned again. */
  @Column({ type: 'varchar', length: 128 }) secret: string;
  @Column({ type: 'boolean', default: true }) active: boolean;
  /** Set when deliveries kept failing: nothing is sent (deliveries wait) until an admin resumes it. */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) pausedAt: number | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) pauseReason: string | null;
  @Column({ type: 'int', default: 0 }) consecutiveFailures: number;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  at: number;
  status: number | null;
  ms: number;
  error: string | null;
}

/** One event for one subscription: the outbox row, worked under a lease, with its attempt log. */
@Entity('webhook_delivery')
@Index('uq_webhook_delivery_event', ['subscriptionId', 'eventId'], { unique: true })
@Index('idx_webhook_delivery_due', ['state', 'nextAttemptAt'])
@Index('idx_webhook_delivery_log', ['companyId', 'subscriptionId', 'createdAt'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) subscriptionId: number;
  @Column({ type: 'varchar', length: 64 }) eventId: string;
  @Column({ type: 'varchar', length: 32 }) eventType: string;
  @Column({ type: 'text' }) payload: string;
  @Column({ type: 'varchar', length: 16 }) state: DeliveryState;
  @Column({ type: 'int', default: 0 }) attempts: number;
  @Column({ type: 'bigint', transformer: epochMs }) nextAttemptAt: number;
  @Column({ type: 'int', nullable: true }) lastStatus: number | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) lastError: string | null;
  @Column({ type: 'text', transformer: jsonText }) log: DeliveryAttempt[];
  @Column({ type: 'varchar', length: 64, nullable: true }) leaseOwner: string | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leaseUntil: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deliveredAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}
