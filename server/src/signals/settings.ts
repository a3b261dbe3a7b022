import { DEFAULT_SIGNAL_SETTINGS, type SignalSettingsPatch } from '@lifeline/shared/src/signals';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import type { ScoringService } from '../scoring/scoring.service';
import { saveSettingsBlock } from '../companies/settings-block';

/**
 * The company's signal settings, changed by admins and audited field by field. A new static share or half-life changes
 * every score: the leads are re-scored at once (in batches, as a weights change does).
 */
export async function saveSignalSettings(app: AppContext, scoring: ScoringService, actor: Actor, patch: SignalSettingsPatch, requestId?: string) {
  const result = await saveSettingsBlock(app, actor, 'signals', patch, requestId);
  const rescore = result.changed.some((f) => f === 'staticShare' || f === 'halfLifeHours');
  const settings = { ...actor.settings, signals: result.settings };
  const recomputed = rescore ? await scoring.recompute({ ...actor, settings }, undefined, undefined, requestId) : { checked: 0, changed: 0 };
  return { ...result, defaults: DEFAULT_SIGNAL_SETTINGS, recomputed };
}
