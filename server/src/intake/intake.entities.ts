import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { FieldMapping } from '@lifeline/shared/src/intake';
import { epochMs, jsonText } from '../db/columns';

export type ChannelKind = 'api' | 'douyin' | 'oceanengine';

/** Per-kind settings of a channel (JSON). */
export interface ChannelOptions {
  /** 巨量 SPI: the service labels that carry clues; empty = any label (each unknown one is logged). */
  serviceLabels?: string[];
  /** The public lead form of this channel (/f/<code>, the embed snippet); off unless switched on. */
  form?: FormOptions;
}

export interface FormOptions {
  enabled: boolean;
  title: string;
  /** Other sites' origins allowed to post the form from their own pages (the hosted page is always allowed). */
  allowedOrigins: string[];
}

/** Where leads come from: a URL code, the channel tag leads get, a key (hash only) and a field mapping. */
@Entity('intake_channel')
@Index('uq_intake_channel_code', ['code'], { unique: true })
export class IntakeChannel {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 32 }) code: string;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'varchar', length: 64 }) tag: string;
  @Column({ type: 'varchar', length: 16 }) kind: ChannelKind;
  /** sha256 of the intake key; the key itself is shown once, at creation. */
  @Column({ type: 'varchar', length: 64 }) keyHash: string;
  @Column({ type: 'text', transformer: jsonText }) mapping: FieldMapping;
  /** A secret the platform signs with (巨量 SPI): needed in clear to check an HMAC; never returned by the API. */
  @Column({ type: 'varchar', length: 128, nullable: true }) secret: string | null;
  @Column({ type: 'text', transformer: jsonText, nullable: true }) options: ChannelOptions | null;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}

/** ignored: a push that carries no lead (a service label the channel does not take), archived and acknowledged. */
export type IntakeOutcome = 'created' | 'merged' | 'rejected' | 'ignored';

/** The raw payload archived beside the lead it became (or why it became none). */
@Entity('intake_record')
@Index('uq_intake_record_external', ['channelId', 'externalId'], { unique: true })
@Index('uq_intake_record_message', ['channelId', 'messageId'], { unique: true })
@Index('idx_intake_record_lead', ['companyId', 'leadId'])
export class IntakeRecord {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) channelId: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) externalId: string | null;
  /** The platform's delivery id (巨量 SPI `message_id`): a redelivery is recognised before the clue is read. */
  @Column({ type: 'varchar', length: 64, nullable: true }) messageId: string | null;
  @Column({ type: 'int', nullable: true }) leadId: number | null;
  @Column({ type: 'varchar', length: 16 }) outcome: IntakeOutcome;
  @Column({ type: 'varchar', length: 200, nullable: true }) reason: string | null;
  @Column({ type: 'text' }) payload: string;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
}

export interface ImportRowReport {
  row: number;
  outcome: Exclude<IntakeOutcome, 'ignored'>;
  leadId?: number;
  customerId?: number;
  reason?: string;
  warnings?: string[];
}

@Entity('import_job')
@Index('idx_import_job_company', ['companyId', 'createdAt'])
export class ImportJob {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 128 }) filename: string;
  @Column({ type: 'varchar', length: 8 }) format: 'csv' | 'xlsx';
  @Column({ type: 'varchar', length: 16, nullable: true }) encoding: string | null;
  @Column({ type: 'varchar', length: 64 }) channel: string;
  @Column({ type: 'varchar', length: 16 }) status: 'running' | 'done' | 'failed';
  @Column({ type: 'int', default: 0 }) total: number;
  @Column({ type: 'int', default: 0 }) processed: number;
  @Column({ type: 'int', default: 0 }) created: number;
  @Column({ type: 'int', default: 0 }) merged: number;
  @Column({ type: 'int', default: 0 }) rejected: number;
  @Column({ type: 'text', transformer: jsonText }) report: ImportRowReport[];
  @Column({ type: 'varchar', length: 200, nullable: true }) error: string | null;
  @Column({ type: 'int' }) createdBy: number;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) finishedAt: number | null;
}
