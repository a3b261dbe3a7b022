import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../db/columns';

/**
 * One narrow row per lead with everything the dashboards aggregate, kept in step with the lead by the
 * fact updater in the same transaction as each change. The clustered key starts with (companyId,
 * enteredAt) so a date-range dashboard reads one contiguous slice on InnoDB; leadId is unique on its own.
 */
@Entity('lead_fact')
@Index('uq_lead_fact_lead', ['leadId'], { unique: true })
@Index('idx_lead_fact_owner', ['companyId', 'ownerId', 'enteredAt'])
@Index('idx_lead_fact_unit', ['companyId', 'orgUnitId', 'enteredAt'])
@Index('idx_lead_fact_channel', ['companyId', 'channel', 'enteredAt'])
@Index('idx_lead_fact_customer', ['companyId', 'customerId'])
@Index('idx_lead_fact_open', ['companyId', 'status', 'ownerId'])
@Index('idx_lead_fact_s7_pending', ['companyId', 's7PendingUntil'])
@Index('idx_lead_fact_f24_pending', ['companyId', 'f24PendingUntil'])
@Index('idx_lead_fact_f48_pending', ['companyId', 'f48PendingUntil'])
@Index('idx_lead_fact_overdue', ['companyId', 'overdueFrom'])
@Index('idx_lead_fact_backlog', ['companyId', 'status', 'ownerId', 'deletedAt', 'orgUnitId', 'assignTouchAt', 'assignedAt', 'nextStepDueAt', 'updatedAt'])
export class LeadFact {
  @PrimaryColumn({ type: 'int' }) companyId: number;
  @PrimaryColumn({ type: 'bigint', transformer: epochMs }) enteredAt: number;
  @PrimaryColumn({ type: 'int' }) leadId: number;
  @Column({ type: 'int' }) enteredDay: number;
  @Column({ type: 'int' }) customerId: number;
  @Column({ type: 'int', nullable: true }) ownerId: number | null;
  @Column({ type: 'int', nullable: true }) orgUnitId: number | null;
  @Column({ type: 'varchar', length: 64 }) channel: string;
  @Column({ type: 'varchar', length: 16, nullable: true }) city: string | null;
  @Column({ type: 'varchar', length: 8, nullable: true }) grade: string | null;
  @Column({ type: 'varchar', length: 16 }) status: string;
  @Column({ type: 'varchar', length: 16 }) journeyNode: string;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) nodeEnteredAt: number | null;
  @Column({ type: 'int' }) maxNodeIndex: number;
  @Column({ type: 'varchar', length: 16, nullable: true }) lostNode: string | null;
  @Column({ type: 'int' }) score: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) assignedAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) firstTouchAt: number | null;
  /** First follow-up at or after assignment (or entry when never assigned): the 48 h follow-up rate. */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) assignTouchAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) nextStepDueAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) trialAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) signedAt: number | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) signedCourse: string | null;
  @Column({ type: 'int', nullable: true }) demandMatch: number | null;
  @Column({ type: 'int' }) profileFilled: number;
  @Column({ type: 'int' }) profileRequired: number;
  /** 1 when no newer live lead of the same customer exists: profile completeness counts each customer once, here. */
  @Column({ type: 'int', default: 1 }) profilePrimary: number;
  /**
   * For a lead that missed a KPI window's touch: when it starts counting as a miss (window start + length); null for a
   * hit. The leads still inside their window are exactly those with a time after now, found by index.
   */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) s7PendingUntil: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) f24PendingUntil: number | null;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) f48PendingUntil: number | null;
  /** An open lead's overdue time on the battle map (see overdueFrom in facts.ts); null when it cannot be overdue. */
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) overdueFrom: number | null;
  /** Completed stays per journey node (index 0..6) and their total milliseconds: the heat map. */
  @Column({ type: 'bigint', transformer: epochMs }) stayMs0: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs1: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs2: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs3: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs4: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs5: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs6: number;
  @Column({ type: 'int' }) stays0: number;
  @Column({ type: 'int' }) stays1: number;
  @Column({ type: 'int' }) stays2: number;
  @Column({ type: 'int' }) stays3: number;
  @Column({ type: 'int' }) stays4: number;
  @Column({ type: 'int' }) stays5: number;
  @Column({ type: 'int' }) stays6: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
  /** Time of the newest event reflected in this row. */
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}

/** A rep talking with a customer on a China-time day; followed when that rep recorded a follow-up that day. */
@Entity('conversation')
@Index('uq_conversation_rep_customer_day', ['companyId', 'repId', 'customerId', 'day'], { unique: true })
@Index('idx_conversation_day', ['companyId', 'day', 'repId', 'followupAt'])
@Index('idx_conversation_day_cover', ['companyId', 'day', 'repId', 'followupAt', 'updatedAt'])
@Index('idx_conversation_customer', ['companyId', 'customerId', 'day'])
export class Conversation {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) repId: number;
  @Column({ type: 'int' }) customerId: number;
  @Column({ type: 'int' }) day: number;
  @Column({ type: 'bigint', transformer: epochMs }) firstAt: number;
  @Column({ type: 'varchar', length: 16 }) source: string;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) followupAt: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}

/** Marketing spend per channel tag and month, in fen. */
@Entity('channel_spend')
@Index('uq_channel_spend', ['companyId', 'channel', 'month'], { unique: true })
export class ChannelSpend {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 64 }) channel: string;
  @Column({ type: 'varchar', length: 7 }) month: string;
  @Column({ type: 'bigint', transformer: epochMs }) amountFen: number;
  @Column({ type: 'int', nullable: true }) updatedBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}

/** Per rep and China-time day: follow-ups recorded with a script (the battle map's "scripts used"). */
@Entity('rep_day')
export class RepDay {
  @PrimaryColumn({ type: 'int' }) companyId: number;
  @PrimaryColumn({ type: 'int' }) repId: number;
  @PrimaryColumn({ type: 'int' }) day: number;
  @Column({ type: 'int', default: 0 }) scriptFollowups: number;
  /** Conversations that day, and those the rep followed up the same day: the entry rate without counting rows. */
  @Column({ type: 'int', default: 0 }) conversations: number;
  @Column({ type: 'int', default: 0 }) followedConversations: number;
  @Column({ type: 'bigint', transformer: epochMs, default: 0 }) updatedAt: number;
}

/**
 * lead_fact summed per China-time entry day, owner and team, in four shapes (see rollup.ts). ownerId / orgUnitId 0 and
 * dim '' stand for none, so the key has no NULLs. Measure names follow rollup.ts.
 */
@Entity('lead_rollup')
export class LeadRollup {
  @PrimaryColumn({ type: 'int' }) companyId: number;
  @PrimaryColumn({ type: 'varchar', length: 8 }) shape: string;
  @PrimaryColumn({ type: 'int' }) day: number;
  @PrimaryColumn({ type: 'int' }) ownerId: number;
  @PrimaryColumn({ type: 'int' }) orgUnitId: number;
  @PrimaryColumn({ type: 'varchar', length: 64 }) dim: string;
  @Column({ type: 'int' }) leads: number;
  @Column({ type: 'int' }) s7hit: number;
  @Column({ type: 'int' }) f24hit: number;
  @Column({ type: 'int' }) f48hit: number;
  @Column({ type: 'bigint', transformer: epochMs }) flowMs: number;
  @Column({ type: 'int' }) flowN: number;
  @Column({ type: 'int' }) signed: number;
  @Column({ type: 'bigint', transformer: epochMs }) dealMs: number;
  @Column({ type: 'int' }) signedDM: number;
  @Column({ type: 'int' }) matched: number;
  @Column({ type: 'int' }) trials: number;
  @Column({ type: 'int' }) trialSigned: number;
  @Column({ type: 'int' }) pf: number;
  @Column({ type: 'int' }) pr: number;
  @Column({ type: 'int' }) reached0: number;
  @Column({ type: 'int' }) lost0: number;
  @Column({ type: 'int' }) inNode0: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs0: number;
  @Column({ type: 'int' }) stays0: number;
  @Column({ type: 'int' }) stayLeads0: number;
  @Column({ type: 'int' }) reached1: number;
  @Column({ type: 'int' }) lost1: number;
  @Column({ type: 'int' }) inNode1: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs1: number;
  @Column({ type: 'int' }) stays1: number;
  @Column({ type: 'int' }) stayLeads1: number;
  @Column({ type: 'int' }) reached2: number;
  @Column({ type: 'int' }) lost2: number;
  @Column({ type: 'int' }) inNode2: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs2: number;
  @Column({ type: 'int' }) stays2: number;
  @Column({ type: 'int' }) stayLeads2: number;
  @Column({ type: 'int' }) reached3: number;
  @Column({ type: 'int' }) lost3: number;
  @Column({ type: 'int' }) inNode3: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs3: number;
  @Column({ type: 'int' }) stays3: number;
  @Column({ type: 'int' }) stayLeads3: number;
  @Column({ type: 'int' }) reached4: number;
  @Column({ type: 'int' }) lost4: number;
  @Column({ type: 'int' }) inNode4: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs4: number;
  @Column({ type: 'int' }) stays4: number;
  @Column({ type: 'int' }) stayLeads4: number;
  @Column({ type: 'int' }) reached5: number;
  @Column({ type: 'int' }) lost5: number;
  @Column({ type: 'int' }) inNode5: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs5: number;
  @Column({ type: 'int' }) stays5: number;
  @Column({ type: 'int' }) stayLeads5: number;
  @Column({ type: 'int' }) reached6: number;
  @Column({ type: 'int' }) lost6: number;
  @Column({ type: 'int' }) inNode6: number;
  @Column({ type: 'bigint', transformer: epochMs }) stayMs6: number;
  @Column({ type: 'int' }) stays6: number;
  @Column({ type: 'int' }) stayLeads6: number;
  @Column({ type: 'int' }) levelA: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
}
