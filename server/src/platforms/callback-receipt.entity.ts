import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

/** A platform callback already handled (WeCom retries 3 times within seconds). */
@Entity('callback_receipt')
@Index('uq_callback_receipt', ['platform', 'dedupeKey'], { unique: true })
export class CallbackReceipt {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'varchar', length: 16 }) platform: string;
  @Column({ type: 'varchar', length: 160 }) dedupeKey: string;
  @Column({ type: 'bigint', transformer: epochMs }) receivedAt: number;
}
