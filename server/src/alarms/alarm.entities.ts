import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AlarmRule } from '@lifeline/shared';
import { epochMs, jsonText } from '../db/columns';
import type { AlarmCard, ChannelKind, SuggestedScript } from '../channels/port';

export type { AlarmCard, ChannelKind, SuggestedScript } from '../channels/port';
export { CallbackReceipt } from '../platforms/callback-receipt.entity';

export type TimerState = 'pending' | 'fired' | 'cancelled';

/** A durable deadline: one row per lead and rule, written in the transaction of the change that set it. */
@Entity('alarm_timer')
@Index('uq_alarm_timer_lead_rule', ['leadId', 'rule'], { unique: true })
@Index('idx_alarm_timer_due', ['state', 'dueAt'])
export class AlarmTimer {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'varchar', length: 16 }) rule: AlarmRule;
  @Column({ type: 'bigint', transformer: epochMs }) dueAt: number;
  @Column({ type: 'varchar', length: 12 }) state: TimerState;
  @Column({ type: 'varchar', length: 64, nullable: true }) leaseOwner: string | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leaseUntil: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) firedAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}

/** An alarm raised once for a timer's due time; every recipient's copy is an alarm_message. */
@Entity('alarm')
@Index('uq_alarm_timer_due', ['timerId', 'dueAt'], { unique: true })
@Index('uq_alarm_task', ['taskId'], { unique: true })
@Index('idx_alarm_company_lead', ['companyId', 'leadId'])
export class Alarm {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'int' }) timerId: number;
  @Column({ type: 'varchar', length: 16 }) rule: AlarmRule;
  @Column({ type: 'bigint', transformer: epochMs }) dueAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) firedAt: number;
  /** WeCom template_card task_id: unique per app. */
  @Column({ type: 'varchar', length: 64 }) taskId: string;
  @Column({ type: 'int', nullable: true }) repId: number | null;
  @Column({ type: 'text', transformer: jsonText }) card: AlarmCard;
  @Column({ type: 'text', transformer: jsonText }) scripts: SuggestedScript[];
  @Column({ type: 'int', nullable: true }) handledBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) handledAt: number | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) handledHow: string | null;
}

export type MessageKind = 'card' | 'digest' | 'script' | 'update';
export type MessageState = 'pending' | 'sent' | 'acted' | 'failed' | 'merged' | 'cancelled';
/** Pseudo recipients for the supervisors' group robots (no person behind them). */
export const GROUP_RECIPIENT: Record<'wecom_grp' | 'ding_grp', number> = { wecom_grp: -1, ding_grp: -2 };

/** Outbox: one row per recipient and message, delivered with retries and backoff by the dispatcher. */
@Entity('alarm_message')
@Index('uq_alarm_message_dedupe', ['companyId', 'dedupeKey'], { unique: true })
@Index('idx_alarm_message_due', ['state', 'nextAttemptAt'])
@Index('idx_alarm_message_alarm', ['alarmId'])
@Index('idx_alarm_message_recipient', ['recipientId', 'sentAt'])
export class AlarmMessage {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int', nullable: true }) alarmId: number | null;
  @Column({ type: 'int' }) recipientId: number;
  @Column({ type: 'varchar', length: 12 }) kind: MessageKind;
  @Column({ type: 'varchar', length: 12 }) channel: ChannelKind;
  @Column({ type: 'varchar', length: 12 }) state: MessageState;
  @Column({ type: 'int', default: 0 }) attempts: number;
  @Column({ type: 'bigint', transformer: epochMs }) nextAttemptAt: number;
  @Column({ type: 'varchar', length: 255, nullable: true }) lastError: string | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) sentAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) actedAt: number | null;
  /** The platform's handle for this copy (WeCom response_code, DingTalk task id). */
  @Column({ type: 'varchar', length: 255, nullable: true }) platformRef: string | null;
  /** Set when this card went out inside a digest message. */
  @Column({ type: 'int', nullable: true }) digestId: number | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) leaseOwner: string | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) leaseUntil: number | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON column whose shape depends on `kind`
  @Column({ type: 'text', transformer: jsonText }) payload: any; // JSON per kind: role/rule (card), title/lines (digest), text/link (script), responseCode (update)
  @Column({ type: 'varchar', length: 96 }) dedupeKey: string;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}
