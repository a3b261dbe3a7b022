import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

/** A lead's time in one journey node: opened when it enters, closed (leftAt) when it moves on. */
@Entity('journey_stay')
@Index('idx_journey_stay_company_lead', ['companyId', 'leadId', 'enteredAt'])
export class JourneyStay {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'varchar', length: 16 }) node: string;
  @Column({ type: 'bigint', transformer: epochMs }) enteredAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leftAt: number | null;
  @Column({ type: 'int', nullable: true }) actorId: number | null;
  @Column({ type: 'int', nullable: true }) followupId: number | null;
  @Column({ type: 'int', nullable: true }) scriptId: number | null;
}
