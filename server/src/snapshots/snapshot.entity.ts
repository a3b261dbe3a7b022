import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs, jsonText } from '../db/columns';

export type SnapshotStatus = 'writing' | 'complete' | 'failed' | 'expired';
export type SnapshotTrigger = 'schedule' | 'manual' | 'drill';

/**
 * One company's business tables at one moment, in a compressed file. Only a `complete` row names a usable file: the row
 * turns complete after the file is whole, synced and renamed into place, so a crash mid-write leaves `writing` (swept
 * to `failed` when its lease runs out) and at most a `.part` file, never a snapshot that looks usable.
 */
@Entity('snapshot')
@Index('uq_snapshot_slot', ['companyId', 'slot'], { unique: true })
@Index('idx_snapshot_company_taken', ['companyId', 'takenAt'])
export class Snapshot {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  /** What claims it: the schedule's slot (one per interval, however many processes run) or a one-off key. */
  @Column({ type: 'varchar', length: 64 }) slot: string;
  @Column({ type: 'varchar', length: 12 }) trigger: SnapshotTrigger;
  @Column({ type: 'varchar', length: 12 }) status: SnapshotStatus;
  /** Where the file is, relative to the snapshot store. */
  @Column({ type: 'varchar', length: 255 }) file: string;
  /** The moment the consistent read saw (the snapshot's time). */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) takenAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) startedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) finishedAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leaseUntil: number | null;
  @Column({ type: 'bigint', nullable: true }) sizeBytes: number | null;
  @Column({ type: 'text', nullable: true, transformer: jsonText }) rowCounts: Record<string, number> | null;
  /** SHA-256 of each table's rows as written (what a restore is verified against). */
  @Column({ type: 'text', nullable: true, transformer: jsonText }) checksums: Record<string, string> | null;
  /** SHA-256 of the file's bytes. */
  @Column({ type: 'varchar', length: 64, nullable: true }) sha256: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) error: string | null;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
}
