import type { EntityManager } from 'typeorm';
import { IsNull } from 'typeorm';
import { isUniqueViolation } from '../db/tx';
import { Script } from './script.entities';
import { DEFAULT_SCRIPTS } from './default-library';
import { insertRowsPlain } from '../db/rows';

/**
 * The company's live scripts. A company without any gets the default library on first use; a concurrent
 * first use loses the unique (companyId, code) race harmlessly and reads the winner's rows.
 */
export async function companyScripts(em: EntityManager, companyId: number, now: number): Promise<Script[]> {
  const repo = em.getRepository(Script);
  const live = await repo.find({ where: { companyId, deletedAt: IsNull() }, order: { id: 'ASC' } });
  if (live.length || (await repo.countBy({ companyId })) > 0) return live;
  // A duplicate-key error rolls back only this statement on MySQL (on Galera the race between two nodes is a 1213 at
  // COMMIT: the unit is run again and finds the rows); SQLite transactions are serialised.
  try {
    await insertRowsPlain(
      em,
      Script,
      DEFAULT_SCRIPTS.map((d) => ({ ...d, companyId, sendCount: 0, progressCount: 0, createdAt: now, updatedAt: now, deletedAt: null })),
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  return repo.find({ where: { companyId, deletedAt: IsNull() }, order: { id: 'ASC' } });
}
