import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs, jsonText } from '../db/columns';

/** fetching → (review →) applying → applied; or failed / cancelled. `review` waits for an admin (docs/directory.md). */
export type SyncRunStatus = 'fetching' | 'review' | 'applying' | 'applied' | 'failed' | 'cancelled';
export const LIVE_RUN_STATUSES: SyncRunStatus[] = ['fetching', 'review', 'applying'];

/** One full directory sync of a company (migration 1700001300000-directory-sync). */
@Entity('directory_sync_run')
@Index('uq_directory_sync_run_active', ['activeCompanyId'], { unique: true })
@Index('idx_directory_sync_run_company', ['companyId', 'id'])
@Index('idx_directory_sync_run_due', ['status', 'notBefore'])
export class DirectorySyncRun {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  /** The company while the run is live, NULL once it ended: one live run per company. */
  @Column({ type: 'int', nullable: true }) activeCompanyId: number | null;
  @Column({ type: 'varchar', length: 16 }) platform: 'wecom' | 'dingtalk';
  @Column({ type: 'varchar', length: 16 }) status: SyncRunStatus;
  /** 'manual' (an admin), 'schedule' (the nightly cron) or 'event' (a department moved across depths). */
  @Column({ type: 'varchar', length: 16 }) origin: 'manual' | 'schedule' | 'event';
  @Column({ type: 'int', nullable: true }) requestedBy: number | null;
  @Column({ type: 'int', nullable: true }) approvedBy: number | null;
  @Column({ type: 'int', default: 0 }) deptsTotal: number;
  /** Departments whose members are fetched: a resumed run starts at the next one. */
  @Column({ type: 'int', default: 0 }) deptsDone: number;
  @Column({ type: 'int', default: 0 }) membersFetched: number;
  @Column({ type: 'int', default: 0 }) attempts: number;
  /** Not worked on before this (a rate limit parks the run until the platform's retry time). */
  @Column({ type: 'bigint', transformer: epochMs }) notBefore: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) leaseOwner: string | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leaseUntil: number | null;
  @Column({ type: 'text', nullable: true, transformer: jsonText }) summary: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true, transformer: jsonText }) issues: object[] | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) errorKind: string | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) error: string | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) finishedAt: number | null;
}

/** A department or member fetched by a run (payload: the SourceDepartment / SourceMember as JSON). */
@Entity('directory_sync_item')
@Index('uq_directory_sync_item', ['runId', 'kind', 'deptId', 'itemId'], { unique: true })
export class DirectorySyncItem {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) runId: number;
  @Column({ type: 'varchar', length: 8 }) kind: 'dept' | 'member';
  /** The department listed (members) or '' (departments). */
  @Column({ type: 'varchar', length: 64 }) deptId: string;
  @Column({ type: 'varchar', length: 64 }) itemId: string;
  /** Order fetched (departments: parents before children). */
  @Column({ type: 'int' }) seq: number;
  @Column({ type: 'text' }) payload: string;
}

export type DirectoryEventState = 'pending' | 'done' | 'failed' | 'ignored';

/** One user or department named by a contact-change event (migration 1700001300000-directory-sync). */
@Entity('directory_event')
@Index('uq_directory_event_dedupe', ['dedupeKey'], { unique: true })
@Index('idx_directory_event_due', ['state', 'notBefore'])
@Index('idx_directory_event_company', ['companyId', 'id'])
export class DirectoryEvent {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 16 }) platform: 'wecom' | 'dingtalk';
  @Column({ type: 'varchar', length: 191 }) dedupeKey: string;
  /** WeCom ChangeType (create_user, update_party…) or DingTalk EventType (user_leave_org…). */
  @Column({ type: 'varchar', length: 32 }) eventType: string;
  @Column({ type: 'varchar', length: 8 }) kind: 'user' | 'dept';
  @Column({ type: 'varchar', length: 64 }) externalId: string;
  /** WeCom update_user with NewUserID: the user's old id (the user is renamed). */
  @Column({ type: 'varchar', length: 64, nullable: true }) previousId: string | null;
  @Column({ type: 'varchar', length: 16 }) state: DirectoryEventState;
  @Column({ type: 'int', default: 0 }) attempts: number;
  @Column({ type: 'bigint', transformer: epochMs }) notBefore: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) leaseOwner: string | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leaseUntil: number | null;
  /** What the worker did, in Chinese (shown in GET /api/directory/events). */
  @Column({ type: 'varchar', length: 500, nullable: true }) outcome: string | null;
  @Column({ type: 'bigint', transformer: epochMs }) receivedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) processedAt: number | null;
}
