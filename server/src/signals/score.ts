import { In, MoreThanOrEqual, type EntityManager } from 'typeorm';
import { scoreLead, type ScoreResult } from '@lifeline/shared';
import { combineScore, SIGNAL_HORIZON_HALF_LIVES, type LeadSignalFact } from '@lifeline/shared/src/signals';
import type { CompanySettings } from '../companies/settings';
import { scoreInputOf } from '../scoring/score-input';
import { LeadSignal } from './entities';

type Scorable = Parameters<typeof scoreInputOf>;

/** Each lead's signals that still count (younger than the horizon), oldest first. */
export async function liveSignalsOf(em: EntityManager, companyId: number, leadIds: number[], settings: CompanySettings, now: number) {
  const out = new Map<number, LeadSignalFact[]>();
  if (!leadIds.length) return out;
  const since = now - SIGNAL_HORIZON_HALF_LIVES * settings.signals.halfLifeHours * 3_600_000;
  const rows = await em.getRepository(LeadSignal).find({
    where: { companyId, leadId: In(leadIds), at: MoreThanOrEqual(since) },
    select: { leadId: true, name: true, points: true, at: true },
    order: { at: 'ASC', id: 'ASC' },
  });
  for (const r of rows) out.set(r.leadId, [...(out.get(r.leadId) ?? []), { name: r.name, points: r.points, at: r.at }]);
  return out;
}

/**
 * The one score of a lead: static weights on its facts plus its live signals, at the company's static share. Every
 * writer of `lead.score` goes through here (or combineScore with the signals it already holds).
 */
export function scoreWith(settings: CompanySettings, lead: Scorable[0], customer: Scorable[1], signals: LeadSignalFact[], now: number): ScoreResult {
  const base = scoreLead(scoreInputOf(lead, customer), settings.scoreWeights, settings.levelA);
  return combineScore(base, signals, settings.signals, now, settings.levelA);
}

export async function scoreNow(
  em: EntityManager,
  settings: CompanySettings,
  lead: Scorable[0] & { id: number; companyId: number },
  customer: Scorable[1],
  now: number,
) {
  const signals = await liveSignalsOf(em, lead.companyId, [lead.id], settings, now);
  return scoreWith(settings, lead, customer, signals.get(lead.id) ?? [], now);
}
