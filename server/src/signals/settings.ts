import { DEFAULT_SIGNAL_SETTINGS, type SignalSettings, type SignalSettingsPatch } from '@lifeline/shared/src/signals';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { bumpCompanyAuthVersion } from '../companies/auth-version';
import { effectiveSettings } from '../companies/settings';
import type { ScoringService } from '../scoring/scoring.service';

/**
 * The company's signal settings, changed by admins and audited field by field. A new static share or half-life changes
 * every score: the leads are re-scored at once (in batches, as a weights change does).
 */
export async function saveSignalSettings(app: AppContext, scoring: ScoringService, actor: Actor, patch: SignalSettingsPatch, requestId?: string) {
  const result = await app.tx.run(async (em) => {
    const company = await em.getRepository(Company).findOneByOrFail({ id: actor.companyId });
    const current = effectiveSettings(company.settings).signals;
    const next: SignalSettings = { ...current, ...patch };
    const changes = diffFields(current, patch);
    if (changes.length) {
      await em.getRepository(Company).update({ id: company.id }, { settings: { ...company.settings, signals: next } as Company['settings'] });
      await bumpCompanyAuthVersion(em, company.id);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: app.clock.now() }).changed(
        'company',
        company.id,
        changes.map((c) => ({ ...c, field: `signals.${c.field}` })),
      );
    }
    return { settings: next, changed: changes.map((c) => c.field) };
  });
  if (!result.changed.length) return { ...result, defaults: DEFAULT_SIGNAL_SETTINGS, recomputed: { checked: 0, changed: 0 } };
  app.actors.clear();
  const rescore = result.changed.some((f) => f === 'staticShare' || f === 'halfLifeHours');
  const settings = { ...actor.settings, signals: result.settings };
  const recomputed = rescore ? await scoring.recompute({ ...actor, settings }, undefined, undefined, requestId) : { checked: 0, changed: 0 };
  return { ...result, defaults: DEFAULT_SIGNAL_SETTINGS, recomputed };
}
