import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

/** A 渠道商 that refers leads through the partner API with its own key. */
@Entity('partner')
@Index('idx_partner_company', ['companyId'])
@Index('uq_partner_key', ['keyHash'], { unique: true })
export class Partner {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 64 }) name: string;
  /** The lead source (channel tag) of everything this partner refers. */
  @Column({ type: 'varchar', length: 64 }) tag: string;
  /** sha256 of the API key; the key is shown once. */
  @Column({ type: 'varchar', length: 64 }) keyHash: string;
  /** Referrals wait for a supervisor's approval before they become leads. */
  @Column({ type: 'boolean', default: false }) requireApproval: boolean;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}

export type ReferralStatus = 'pending' | 'approved' | 'rejected';

/** One lead a partner referred: held for approval, or already the lead it became. */
@Entity('partner_referral')
@Index('uq_partner_referral_ref', ['partnerId', 'ref'], { unique: true })
@Index('idx_partner_referral_status', ['companyId', 'status', 'createdAt'])
export class PartnerReferral {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) partnerId: number;
  /** The partner's own reference (idempotency: the same ref again is the same referral). */
  @Column({ type: 'varchar', length: 64 }) ref: string;
  @Column({ type: 'varchar', length: 16 }) status: ReferralStatus;
  /** The submitted fields (JSON), as the lead will be created from them. */
  @Column({ type: 'text' }) payload: string;
  @Column({ type: 'varchar', length: 20 }) phone: string;
  @Column({ type: 'int', nullable: true }) leadId: number | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) reason: string | null;
  @Column({ type: 'int', nullable: true }) decidedBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) decidedAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
}
