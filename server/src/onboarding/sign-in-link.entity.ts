import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

/** A one-time sign-in link (migration 1700001200000-sign-in-link): only the token's SHA-256 is kept. */
@Entity('sign_in_link')
@Index('uq_sign_in_link_hash', ['tokenHash'], { unique: true })
@Index('idx_sign_in_link_user', ['companyId', 'userId'])
export class SignInLink {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) userId: number;
  @Column({ type: 'varchar', length: 64 }) tokenHash: string;
  @Column({ type: 'bigint', transformer: epochMs }) expiresAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) usedAt: number | null;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
}
