import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { LeadStatus, ScoreLine } from '@lifeline/shared';
import { epochMs, jsonText } from '../db/columns';

@Entity('lead')
@Index('idx_lead_company_owner_status', ['companyId', 'ownerId', 'status'])
@Index('idx_lead_company_created', ['companyId', 'createdAt'])
@Index('idx_lead_company_customer', ['companyId', 'customerId'])
@Index('idx_lead_company_first_fu', ['companyId', 'firstFollowupAt', 'createdAt'])
@Index('idx_lead_company_unit', ['companyId', 'orgUnitId'])
@Index('idx_lead_company_coowner', ['companyId', 'coOwnerId'])
export class Lead {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) customerId: number;
  /** Channel tag, e.g. 抖音-202601直播. */
  @Column({ type: 'varchar', length: 64 }) channel: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) campaign: string | null;
  @Column({ type: 'int', nullable: true }) ownerId: number | null;
  /** KA co-owner (双人协同): sees the lead and gets its reminders as a copy; KPIs count the owner. */
  @Column({ type: 'int', nullable: true }) coOwnerId: number | null;
  /** The owner's team, or the pool's unit while unassigned: what a supervisor's subtree covers. */
  @Column({ type: 'int', nullable: true }) orgUnitId: number | null;
  @Column({ type: 'varchar', length: 16 }) status: LeadStatus;
  @Column({ type: 'varchar', length: 16 }) journeyNode: string;
  @Column({ type: 'int', default: 0 }) score: number;
  @Column({ type: 'text', transformer: jsonText }) scoreBreakdown: ScoreLine[];
  @Column({ type: 'varchar', length: 100, nullable: true }) lostReason: string | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) assignedAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) claimedAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) firstFollowupAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) lastFollowupAt: number | null;
  /** The next step is the reminder: its due time and what to do. */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) nextStepDueAt: number | null;
  @Column({ type: 'varchar', length: 50, nullable: true }) nextStepAction: string | null;
  /** First signing (已签约 follow-up) and the course signed (the latest signing's). */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) signedAt: number | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) signedCourse: string | null;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}
