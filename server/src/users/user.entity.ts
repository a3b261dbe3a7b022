import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '@lifeline/shared';
import { epochMs, jsonText } from '../db/columns';

@Entity('app_user')
@Index('idx_user_company_role', ['companyId', 'role', 'active'])
@Index('uq_user_wecom', ['companyId', 'wecomUserId'], { unique: true })
@Index('uq_user_dingtalk', ['companyId', 'dingtalkUserId'], { unique: true })
export class User {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 32 }) name: string;
  @Column({ type: 'varchar', length: 16 }) role: Role;
  @Column({ type: 'int', nullable: true }) orgUnitId: number | null;
  @Column({ type: 'int', nullable: true }) managerId: number | null;
  @Column({ type: 'boolean', default: true }) active: boolean;
  /** Bumped with every API change to role, active, org unit or manager: cached actors built before it are stale. */
  @Column({ type: 'int', default: 0 }) authVersion: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) wecomUserId: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) dingtalkUserId: string | null;
  /** Platform department ids from the last directory sync (the unit is derived from the main one). */
  @Column({ type: 'text', nullable: true, transformer: jsonText }) deptIds: string[] | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) mainDeptId: string | null;
  /** When a directory sync last saw this user on the platform. */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) syncedAt: number | null;
  /** Who deactivated the user: a sync re-activates only the users it deactivated itself. */
  @Column({ type: 'varchar', length: 16, nullable: true }) inactiveBy: 'admin' | 'directory' | null;
  /** When the user left the company (离职): 离职继承 is possible for a year after it. */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leftAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}
