import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { MissCurve } from '@lifeline/shared';
import { epochMs, jsonText } from '../db/columns';

/** A company's latest learned miss model: the curves per grade and the warning hours it set (docs/alarms.md). */
@Entity('miss_model')
@Index('uq_miss_model_company', ['companyId'], { unique: true })
export class MissModel {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leads: number;
  @Column({ type: 'text', transformer: jsonText }) curves: MissCurve[];
  @Column({ type: 'text', transformer: jsonText }) learned: Record<string, number>;
  @Column({ type: 'bigint', transformer: epochMs }) computedAt: number;
}
