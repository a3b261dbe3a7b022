/**
 * Named points in a unit of work where a test may hold it, to force one interleaving of two transactions
 * (pause T1 just before its COMMIT, run T2 to the end, let T1 go). In production nothing holds: `reach` resolves
 * at once. Names: `tx:<label>:beforeCommit` for every labelled `Tx.run`, plus the points a capability names itself
 * (see `CHECKPOINTS`).
 */
export interface Checkpoints {
  reach(name: string): Promise<void>;
}

export const NO_CHECKPOINTS: Checkpoints = { reach: () => Promise.resolve() };

/** The labels of transactions that race tests hold (tx:<label>:beforeCommit). */
export type TxLabel =
  | 'followup.save'
  | 'followup.saveGroup'
  | 'followup.delete'
  | 'lead.create'
  | 'lead.update'
  | 'lead.claim'
  | 'lead.delete'
  | 'alarms.fire'
  | 'projector.batch'
  | 'users.update'
  | 'users.reassign'
  | 'directory.apply'
  | 'directory.event'
  | 'inbound.event'
  | 'chat.messages';
