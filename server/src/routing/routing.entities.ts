import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { RuleSetBody, Shift } from '@lifeline/shared/src/routing';
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
}
