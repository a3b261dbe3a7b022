import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs, jsonText } from '../db/columns';

export interface Difference {
  customerId: number | null;
  /** Masked. */
  phone: string | null;
  field: 'customer' | 'name' | 'amount' | 'payment' | 'service';
  ours: unknown;
  theirs: unknown;
  ownerId: number | null;
}

/** One comparison of key fields with another system (monthly per source with a pull URL, or an uploaded export). */
@Entity('consistency_run')
@Index('idx_consistency_run_company', ['companyId', 'createdAt'])
export class ConsistencyRun {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) sourceId: number;
  @Column({ type: 'varchar', length: 8 }) origin: 'pull' | 'upload' | 'monthly';
  @Column({ type: 'varchar', length: 7 }) month: string;
  @Column({ type: 'int' }) rows: number;
  @Column({ type: 'int' }) checks: number;
  @Column({ type: 'int' }) matched: number;
  /** The first 1,000 differences (the counts above are complete). */
  @Column({ type: 'text', transformer: jsonText }) differences: Difference[];
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
}
