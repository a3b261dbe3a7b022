import type { EntityManager } from 'typeorm';

/** The leads of one company the projector recomputes in one transaction. */
export interface LeadBatch {
  companyId: number;
  /** Distinct, ascending: every step locks in this order, so two projections never wait on each other crosswise. */
  leadIds: number[];
  now: number;
  /** The company's stored settings (company.settings, parsed), read once per batch; steps apply their own defaults. */
  companySettings: Record<string, unknown>;
}

/**
 * One kind of derived state. `project` recomputes it for the batch's leads from source rows, in the projection's
 * transaction: it first locks the derived rows it will write (so a second projector of the same lead waits and then
 * reads what the first committed), then reads the sources, then writes. It must be idempotent (running it twice
 * changes nothing the second time) and may not depend on which changes caused the batch: the tests project every
 * lead again and compare (test/server/projector.test.ts).
 */
export interface ProjectionStep {
  readonly name: string;
  project(em: EntityManager, batch: LeadBatch): Promise<void>;
}
