import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs, jsonText } from '../db/columns';

/** A reply script in the company's library; text may hold {称呼} {课程} {顾问} {年级} {城市}. */
@Entity('script')
@Index('uq_script_company_code', ['companyId', 'code'], { unique: true })
export class Script {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 32 }) code: string;
  @Column({ type: 'varchar', length: 16 }) category: string;
  @Column({ type: 'varchar', length: 32 }) title: string;
  @Column({ type: 'varchar', length: 500 }) text: string;
  @Column({ type: 'text', transformer: jsonText }) tags: string[];
  @Column({ type: 'varchar', length: 16, nullable: true }) journeyNode: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) concern: string | null;
  @Column({ type: 'int', default: 0 }) sendCount: number;
  /** Sends followed by the lead moving to a later journey node. */
  @Column({ type: 'int', default: 0 }) progressCount: number;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}

/** A rep tapped a script (in an alarm card): ready to send from the sidebar until marked sent. */
@Entity('script_pick')
@Index('uq_script_pick_alarm', ['companyId', 'alarmId', 'repId', 'scriptId'], { unique: true })
@Index('idx_script_pick_rep_lead', ['companyId', 'repId', 'leadId'])
@Index('idx_script_pick_rep_picked', ['companyId', 'repId', 'pickedAt'])
export class ScriptPick {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int', nullable: true }) alarmId: number | null;
  @Column({ type: 'int' }) scriptId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'int' }) repId: number;
  @Column({ type: 'text' }) text: string;
  @Column({ type: 'bigint', transformer: epochMs }) pickedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) sentAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) progressedAt: number | null;
}
