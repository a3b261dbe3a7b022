import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

export type OrgUnitKind = 'centre' | 'team';

/** Centre (中心) → team (组). `path` is the materialised ancestry ("/1/4/") so a subtree is one LIKE. */
@Entity('org_unit')
@Index('idx_org_unit_company_path', ['companyId', 'path'])
@Index('uq_org_unit_external', ['companyId', 'platform', 'externalId'], { unique: true })
export class OrgUnit {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int', nullable: true }) parentId: number | null;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 16 }) kind: OrgUnitKind;
  @Column({ type: 'varchar', length: 255 }) path: string;
  @Column({ type: 'int', nullable: true }) supervisorId: number | null;
  /** The platform department this unit mirrors (directory sync); null = made in Lifeline, never touched by a sync. */
  @Column({ type: 'varchar', length: 16, nullable: true }) platform: 'wecom' | 'dingtalk' | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) externalId: string | null;
  /** An admin chose the supervisor: a sync no longer makes the department's leader the supervisor. */
  @Column({ type: 'boolean', default: false }) supervisorPinned: boolean;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}
