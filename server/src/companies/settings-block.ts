import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { dbKindOf } from '../db/kind';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { Company } from './company.entity';
import { bumpCompanyAuthVersion } from './auth-version';
import { effectiveSettings, type CompanySettings } from './settings';

type Block = 'directory' | 'signals' | 'leaderboard';

/**
 * The company row, write-locked until commit (MySQL): settings are one JSON column, so two writers (an admin's save,
 * the daily miss-model learning) read and write it one after the other instead of one silently undoing the other.
 */
export async function companyForUpdate(em: EntityManager, companyId: number): Promise<Company> {
  const lock = dbKindOf(em) === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {};
  const company = await em.getRepository(Company).findOne({ where: { id: companyId }, ...lock });
  if (!company) throw new Error(`company ${companyId} not found`);
  return company;
}

/**
 * Saves some fields of one block of the company's settings (directory, signals, leaderboard): merged over the current
 * block, checked by `check` (throws a 400), audited field by field as `<block>.<field>`, and signed-in actors (who carry
 * the settings) reloaded everywhere.
 */
export async function saveSettingsBlock<K extends Block>(
  app: AppContext,
  actor: Actor,
  block: K,
  patch: Partial<CompanySettings[K]>,
  requestId?: string,
  check?: (next: CompanySettings[K]) => void,
): Promise<{ settings: CompanySettings[K]; changed: string[] }> {
  const result = await app.tx.run(async (em) => {
    const company = await companyForUpdate(em, actor.companyId);
    const current = effectiveSettings(company.settings)[block];
    const next = { ...current, ...patch } as CompanySettings[K];
    check?.(next);
    const changes = diffFields(current as object, patch as object);
    if (changes.length) {
      const stored = { ...((company.settings[block] as object | undefined) ?? {}), ...patch };
      await em.getRepository(Company).update({ id: company.id }, { settings: { ...company.settings, [block]: stored } as Company['settings'] });
      await bumpCompanyAuthVersion(em, company.id);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: app.clock.now() }).changed(
        'company',
        company.id,
        changes.map((c) => ({ ...c, field: `${block}.${c.field}` })),
      );
    }
    return { settings: next, changed: changes.map((c) => c.field) };
  });
  if (result.changed.length) app.actors.clear();
  return result;
}
