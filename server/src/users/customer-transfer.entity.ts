import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

export type TransferKind = 'resigned' | 'on_job';
/** queued → sent (WeCom accepted the call) → waiting (the customer has 24 h) → done; or failed (listed for the admin). */
export type TransferState = 'queued' | 'sent' | 'waiting' | 'done' | 'failed';

/** One WeCom external contact handed from one member to another (离职继承 / 在职继承); see docs/people.md. */
@Entity('customer_transfer')
@Index('idx_customer_transfer_due', ['status', 'nextAttemptAt'])
@Index('idx_customer_transfer_company', ['companyId', 'status'])
@Index('idx_customer_transfer_handover', ['companyId', 'handoverUserId'])
export class CustomerTransfer {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 12 }) kind: TransferKind;
  @Column({ type: 'int' }) handoverUserId: number;
  @Column({ type: 'int' }) takeoverUserId: number;
  /** WeCom user ids as they were when the row was queued. */
  @Column({ type: 'varchar', length: 64 }) handoverPlatformId: string;
  @Column({ type: 'varchar', length: 64 }) takeoverPlatformId: string;
  /** null: every contact of the handover member, listed by the worker before sending. */
  @Column({ type: 'varchar', length: 64, nullable: true }) externalUserId: string | null;
  @Column({ type: 'varchar', length: 12 }) status: TransferState;
  @Column({ type: 'int', default: 0 }) attempts: number;
  /** WeCom's per-contact errcode (or the call's) of the last attempt. */
  @Column({ type: 'int', nullable: true }) errcode: number | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) error: string | null;
  /** Why the move happened (管理员停用, 通讯录离职, 在职转接…). */
  @Column({ type: 'varchar', length: 64, nullable: true }) reason: string | null;
  @Column({ type: 'bigint', transformer: epochMs }) nextAttemptAt: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) leaseOwner: string | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leaseUntil: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) sentAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) doneAt: number | null;
  @Column({ type: 'int', nullable: true }) actorId: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}
