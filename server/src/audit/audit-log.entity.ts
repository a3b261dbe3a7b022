import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

export type AuditAction = 'create' | 'update' | 'delete' | 'restore' | 'reveal' | 'login' | 'export';

/** Who changed which field of what, from what to what, when. Values are JSON text. */
@Entity('audit_log')
@Index('idx_audit_company_entity', ['companyId', 'entity', 'entityId'])
@Index('idx_audit_company_at', ['companyId', 'at'])
export class AuditLog {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 32 }) entity: string;
  @Column({ type: 'int' }) entityId: number;
  @Column({ type: 'varchar', length: 16 }) action: AuditAction;
  @Column({ type: 'varchar', length: 64 }) field: string;
  @Column({ type: 'text', nullable: true }) before: string | null;
  @Column({ type: 'text', nullable: true }) after: string | null;
  @Column({ type: 'int', nullable: true }) actorId: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) at: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) requestId: string | null;
}
