import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs, jsonText } from '../db/columns';
import type { CompanySettings } from './settings';

@Entity('company')
@Index('uq_company_wecomCorpId', ['wecomCorpId'], { unique: true })
@Index('uq_company_dingtalkCorpId', ['dingtalkCorpId'], { unique: true })
export class Company {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'varchar', length: 64 }) name: string;
  /** Per-company overrides of the brief's defaults (action list, quick phrases, who sees phones…). */
  @Column({ type: 'text', transformer: jsonText }) settings: Partial<CompanySettings>;
  /** Bumped with every API change to the settings or the org structure: cached actors built before it are stale. */
  @Column({ type: 'int', default: 0 }) authVersion: number;
  /** The WeCom / DingTalk organisation this company is (callbacks, directory events and sign-ins are routed by it). */
  @Column({ type: 'varchar', length: 64, nullable: true }) wecomCorpId: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) dingtalkCorpId: string | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
}
