import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs, jsonText } from '../db/columns';

/** One customer per phone per company: a new lead for a known phone attaches here. */
@Entity('customer')
@Index('uq_customer_company_phone', ['companyId', 'phone'], { unique: true })
@Index('idx_customer_company_city', ['companyId', 'city'])
export class Customer {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 20 }) phone: string;
  /** How to address them: 王妈妈. */
  @Column({ type: 'varchar', length: 32, nullable: true }) name: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) province: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) city: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) carrier: string | null;
  @Column({ type: 'varchar', length: 8, nullable: true }) grade: string | null;
  @Column({ type: 'text', transformer: jsonText }) concerns: string[];
  @Column({ type: 'text', transformer: jsonText }) tags: string[];
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}
