import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

/** A lead entering a journey node: when, by whom, through which follow-up and script. */
@Entity('journey_event')
@Index('idx_journey_company_lead', ['companyId', 'leadId', 'at'])
export class JourneyEvent {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'varchar', length: 16, nullable: true }) fromNode: string | null;
  @Column({ type: 'varchar', length: 16 }) toNode: string;
  @Column({ type: 'bigint', transformer: epochMs }) at: number;
  @Column({ type: 'int', nullable: true }) actorId: number | null;
  @Column({ type: 'int', nullable: true }) followupId: number | null;
  @Column({ type: 'int', nullable: true }) scriptId: number | null;
}
