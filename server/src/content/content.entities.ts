import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

/** A piece of material and the customer tag that triggers it (the tag → content mapping). */
@Entity('content_item')
@Index('idx_content_item_tag', ['companyId', 'tag'])
export class ContentItem {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 20 }) tag: string;
  @Column({ type: 'varchar', length: 64 }) title: string;
  @Column({ type: 'varchar', length: 255 }) url: string;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}

@Entity('content_queue')
@Index('uq_content_queue_item', ['customerId', 'contentId'], { unique: true })
@Index('idx_content_queue_customer', ['companyId', 'customerId', 'status'])
export class ContentQueueItem {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) customerId: number;
  @Column({ type: 'int' }) contentId: number;
  @Column({ type: 'varchar', length: 100 }) reason: string;
  @Column({ type: 'varchar', length: 8 }) status: 'queued' | 'sent';
  @Column({ type: 'bigint', transformer: epochMs }) queuedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) sentAt: number | null;
  @Column({ type: 'int', nullable: true }) sentBy: number | null;
}
