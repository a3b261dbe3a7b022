import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

export type ChatConsent = 'agree' | 'disagree';

/**
 * A customer's chat identity (WeCom external userid) and their archive consent. The sidebar links it to our customer
 * when a rep opens the chat (phone autofill found them); the sidecar's agree/disagree messages set the consent.
 */
@Entity('chat_contact')
@Index('uq_chat_contact', ['companyId', 'externalUserId'], { unique: true })
export class ChatContact {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 64 }) externalUserId: string;
  @Column({ type: 'int', nullable: true }) customerId: number | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) consent: ChatConsent | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) consentAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}

/** used: read for signals; no_consent: the customer has not agreed (text not kept); unmatched: unknown customer. */
export type ChatMessageStatus = 'used' | 'no_consent' | 'unmatched' | 'consent' | 'from_rep';

/** One archived chat message, once per (source, msgId); its text only while the company's retention allows. */
@Entity('chat_message')
@Index('uq_chat_message', ['sourceId', 'msgId'], { unique: true })
@Index('idx_chat_message_sent', ['companyId', 'sentAt'])
@Index('idx_chat_message_customer', ['companyId', 'customerId', 'sentAt'])
export class ChatMessage {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) sourceId: number;
  @Column({ type: 'varchar', length: 64 }) msgId: string;
  @Column({ type: 'varchar', length: 8 }) type: string;
  @Column({ type: 'varchar', length: 64 }) externalUserId: string;
  @Column({ type: 'int', nullable: true }) customerId: number | null;
  @Column({ type: 'int', nullable: true }) leadId: number | null;
  /** The member in the chat (sender or receiver), when they are one of ours. */
  @Column({ type: 'int', nullable: true }) userId: number | null;
  @Column({ type: 'boolean', default: false }) fromCustomer: boolean;
  @Column({ type: 'varchar', length: 16 }) status: ChatMessageStatus;
  @Column({ type: 'text', nullable: true }) text: string | null;
  @Column({ type: 'bigint', transformer: epochMs }) sentAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) receivedAt: number;
}

export type SignalOrigin = 'chat' | 'followup' | 'voice';

/** A signal class seen for a lead: what matched, where, and when (its points fade from `at`). */
@Entity('lead_signal')
@Index('uq_lead_signal', ['leadId', 'origin', 'originRef', 'name'], { unique: true })
@Index('idx_lead_signal_lead', ['companyId', 'leadId', 'at'])
@Index('idx_lead_signal_at', ['companyId', 'at'])
export class LeadSignal {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'int' }) customerId: number;
  @Column({ type: 'varchar', length: 16 }) name: string;
  @Column({ type: 'varchar', length: 20 }) phrase: string;
  @Column({ type: 'int' }) points: number;
  @Column({ type: 'varchar', length: 8 }) origin: SignalOrigin;
  /** The chat message's or follow-up's id. */
  @Column({ type: 'int' }) originRef: number;
  @Column({ type: 'bigint', transformer: epochMs }) at: number;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
}
