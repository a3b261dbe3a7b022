import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { InputSource } from '@lifeline/shared';
import { epochMs } from '../db/columns';

@Entity('followup')
@Index('uq_followup_company_request', ['companyId', 'clientRequestId'], { unique: true })
@Index('idx_followup_company_lead', ['companyId', 'leadId', 'createdAt'])
@Index('idx_followup_company_customer', ['companyId', 'customerId', 'createdAt'])
export class Followup {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'int' }) customerId: number;
  @Column({ type: 'int' }) authorId: number;
  @Column({ type: 'varchar', length: 16 }) action: string;
  @Column({ type: 'varchar', length: 100 }) conclusion: string;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) nextStepAt: number | null;
  @Column({ type: 'varchar', length: 50, nullable: true }) nextStepAction: string | null;
  @Column({ type: 'varchar', length: 8 }) source: InputSource;
  @Column({ type: 'text', nullable: true }) transcript: string | null;
  @Column({ type: 'int', nullable: true }) scriptId: number | null;
  /** The course signed, on a 已签约 follow-up. */
  @Column({ type: 'varchar', length: 32, nullable: true }) signedCourse: string | null;
  /** Idempotency key: a retried submit with the same key returns the first result. */
  @Column({ type: 'varchar', length: 64 }) clientRequestId: string;
  /** Hash of the request body, so the same key with a different body is refused, not silently merged. */
  @Column({ type: 'varchar', length: 64 }) requestHash: string;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}
