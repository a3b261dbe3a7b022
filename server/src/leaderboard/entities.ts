import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs, jsonText } from '../db/columns';

/** Points one follow-up earned on the entry leaderboard, and why (written in the follow-up's own transaction). */
@Entity('entry_points')
@Index('uq_entry_points_followup', ['followupId'], { unique: true })
@Index('idx_entry_points_day', ['companyId', 'day'])
@Index('idx_entry_points_author', ['companyId', 'authorId', 'at'])
export class EntryPoints {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) followupId: number;
  @Column({ type: 'int' }) authorId: number;
  /** The author's team when they wrote it: team boards stay as they were when people move. */
  @Column({ type: 'int', nullable: true }) orgUnitId: number | null;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'int' }) points: number;
  @Column({ type: 'text', transformer: jsonText }) reasons: string[];
  /** The conclusion as compared for copy-paste (letters and digits). */
  @Column({ type: 'varchar', length: 100 }) conclusionKey: string;
  /** China-time day, YYYYMMDD. */
  @Column({ type: 'int' }) day: number;
  @Column({ type: 'bigint', transformer: epochMs }) at: number;
  /** The follow-up was deleted: its points do not count (restored: they count again). */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) voidedAt: number | null;
}
