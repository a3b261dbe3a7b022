import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Arm, RuleSetBody, Shift } from '@lifeline/shared/src/routing';
import { epochMs, jsonText } from '../db/columns';

/** A centre's pool of reps; `rrCursor` is the durable weighted-round-robin position. */
@Entity('routing_pool')
@Index('idx_routing_pool_company', ['companyId'])
export class RoutingPool {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'varchar', length: 64 }) name: string;
  /** The unit whose supervisor works the pool's rotation queue. */
  @Column({ type: 'int' }) orgUnitId: number;
  @Column({ type: 'int', default: 0 }) rrCursor: number;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
  @Column({ type: 'bigint', transformer: epochMs }) updatedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) deletedAt: number | null;
}

@Entity('routing_pool_member')
@Index('uq_pool_member', ['poolId', 'userId'], { unique: true })
export class RoutingPoolMember {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) poolId: number;
  @Column({ type: 'int' }) userId: number;
  @Column({ type: 'int', default: 1 }) weight: number;
  @Column({ type: 'int', nullable: true }) cap: number | null;
  @Column({ type: 'text', nullable: true, transformer: jsonText }) shifts: Shift[] | null;
  /** Order within the pool, so the rotation sequence is stable across reads. */
  @Column({ type: 'int', default: 0 }) position: number;
}

/** Rule sets are append-only: saving makes a new version, and decisions record the version. */
@Entity('routing_rule_set')
@Index('uq_rule_set_version', ['companyId', 'version'], { unique: true })
export class RoutingRuleSet {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) version: number;
  @Column({ type: 'text', transformer: jsonText }) body: RuleSetBody;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) createdAt: number;
}

/** signal: moved (or confirmed) when an intent signal lifted the lead into A-level (signals/a-level.ts). */
export type DecisionKind = 'auto' | 'manual' | 'signal';
export type DecisionOutcome = 'assigned' | 'queued' | 'unrouted';

export interface DecisionReasons {
  score: number;
  rule: string;
  pool?: string;
  skipped: { userId: number; name: string; reason: string; label: string }[];
  chosen?: string;
  note?: string;
}

@Entity('routing_decision')
@Index('uq_routing_decision_auto', ['leadId', 'autoKey'], { unique: true })
@Index('idx_routing_decision_company_lead', ['companyId', 'leadId'])
@Index('idx_routing_decision_pool', ['companyId', 'poolId', 'outcome'])
@Index('idx_routing_decision_experiment', ['companyId', 'experimentId'])
export class RoutingDecision {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) leadId: number;
  @Column({ type: 'varchar', length: 16 }) kind: DecisionKind;
  /** 'auto' for the automatic decision (unique per lead), NULL for manual ones. */
  @Column({ type: 'varchar', length: 8, nullable: true }) autoKey: string | null;
  @Column({ type: 'int', nullable: true }) ruleSetVersion: number | null;
  @Column({ type: 'int', nullable: true }) ruleIndex: number | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) ruleName: string | null;
  @Column({ type: 'int', nullable: true }) poolId: number | null;
  @Column({ type: 'int', nullable: true }) ownerId: number | null;
  @Column({ type: 'varchar', length: 16 }) outcome: DecisionOutcome;
  @Column({ type: 'int', nullable: true }) cursorBefore: number | null;
  @Column({ type: 'int', nullable: true }) cursorAfter: number | null;
  @Column({ type: 'text', transformer: jsonText }) reasons: DecisionReasons;
  @Column({ type: 'int', nullable: true }) actorId: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) at: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) requestId: string | null;
  /** The A/B test this automatic decision was part of, and the lead's arm in it (control: the previous version). */
  @Column({ type: 'int', nullable: true }) experimentId: number | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) arm: Arm | null;
}

export type ExperimentStatus = 'running' | 'stopped' | 'harm_stopped';

/** An A/B test of a rule version against the previous one: a stable share of new leads stays on the previous version. */
@Entity('routing_experiment')
@Index('idx_routing_experiment_company', ['companyId', 'status'])
export class RoutingExperiment {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number;
  @Column({ type: 'int' }) companyId: number;
  @Column({ type: 'int' }) controlVersion: number;
  @Column({ type: 'int' }) treatmentVersion: number;
  /** Per mille of new leads on the control (previous) version: 100 = 10 %. */
  @Column({ type: 'int' }) holdoutPermille: number;
  /** Hashed with the lead id: the arm of a lead never changes, and two experiments split leads independently. */
  @Column({ type: 'varchar', length: 32 }) salt: string;
  @Column({ type: 'int' }) minSample: number;
  /** Per mille: the new rules' 24 h first-contact rate this far below the old ones (and significant) stops the test. */
  @Column({ type: 'int' }) harmPermille: number;
  @Column({ type: 'varchar', length: 16 }) status: ExperimentStatus;
  @Column({ type: 'varchar', length: 200, nullable: true }) stopReason: string | null;
  @Column({ type: 'int', nullable: true }) createdBy: number | null;
  @Column({ type: 'bigint', transformer: epochMs }) startedAt: number;
  @Column({ type: 'bigint', transformer: epochMs, nullable: true }) stoppedAt: number | null;
}
