import type { EntityManager } from 'typeorm';
import { insertRowsPlain, updateById } from '../db/rows';
import { JourneyEvent } from './journey-event.entity';
import { JourneyStay } from './journey-stay.entity';

export interface JourneyStep {
  companyId: number;
  leadId: number;
  fromNode: string | null;
  toNode: string;
  at: number;
  actorId: number | null;
  followupId: number | null;
  scriptId: number | null;
}

/**
 * The one way a lead enters a journey node: the journey event (time, operator, follow-up, script) and the
 * stay it opens, closing the previous one, in the caller's transaction. Time per node comes from the stays.
 */
export async function recordJourneyStep(em: EntityManager, step: JourneyStep): Promise<void> {
  await insertRowsPlain(em, JourneyEvent, [{ ...step }]);
  if (step.fromNode !== null) {
    // Close by primary key (the caller holds the lead's row lock): no range locks for concurrent leads to deadlock on.
    const open: { id: number }[] = await em.query(
      'SELECT id FROM journey_stay WHERE companyId = ? AND leadId = ? AND leftAt IS NULL', [step.companyId, step.leadId],
    );
    for (const o of open) await updateById(em, JourneyStay, Number(o.id), { leftAt: step.at });
  }
  await insertRowsPlain(em, JourneyStay, [{
    companyId: step.companyId, leadId: step.leadId, node: step.toNode, enteredAt: step.at, leftAt: null,
    actorId: step.actorId, followupId: step.followupId, scriptId: step.scriptId,
  }]);
}
