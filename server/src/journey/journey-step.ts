import type { EntityManager } from 'typeorm';
import { insertRowsPlain, updateManyById } from '../db/rows';
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
export function recordJourneyStep(em: EntityManager, step: JourneyStep): Promise<void> {
  return recordJourneySteps(em, [step]);
}

/** Several leads' steps (a group of saves, one step per lead) in a statement per kind of write. */
export async function recordJourneySteps(em: EntityManager, steps: JourneyStep[]): Promise<void> {
  if (!steps.length) return;
  await insertRowsPlain(
    em,
    JourneyEvent,
    steps.map((s) => ({ ...s })),
  );
  const moving = steps.filter((s) => s.fromNode !== null);
  if (moving.length) {
    // Close by primary key (the caller holds the leads' row locks): no range locks for concurrent leads to deadlock on.
    // By company first: the stays' index is (companyId, leadId, …).
    const open: { id: number; leadId: number }[] = [];
    for (const companyId of new Set(moving.map((s) => s.companyId))) {
      const leadIds = moving.filter((s) => s.companyId === companyId).map((s) => s.leadId);
      open.push(
        ...(await em.query(`SELECT id, leadId FROM journey_stay WHERE companyId = ? AND leadId IN (${leadIds.map(() => '?').join(', ')}) AND leftAt IS NULL`, [
          companyId,
          ...leadIds,
        ])),
      );
    }
    const at = new Map(moving.map((s) => [s.leadId, s.at]));
    await updateManyById(
      em,
      JourneyStay,
      open.map((o) => ({ id: Number(o.id), patch: { leftAt: at.get(Number(o.leadId))! } })),
    );
  }
  await insertRowsPlain(
    em,
    JourneyStay,
    steps.map((s) => ({
      companyId: s.companyId,
      leadId: s.leadId,
      node: s.toNode,
      enteredAt: s.at,
      leftAt: null,
      actorId: s.actorId,
      followupId: s.followupId,
      scriptId: s.scriptId,
    })),
  );
}
