import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

export type OrgUnitKind = 'centre' | 'team';

/** Centre (中心) → team (组). `path` is the materialised ancestry ("/1/4/") so a subtree is one LIKE. */
@Entity('org_unit')
@Index('idx_org_unit_company_path', ['companyId', 'path'])
export class OrgUnit {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int', nullable: true }) parentId: number | null;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 16 }) kind: OrgUnitKind;
  @Column({ type: 'varchar', length: 255 }) path: string;
  @Column({ type: 'int', nullable: true }) supervisorId: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}
