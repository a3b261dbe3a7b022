import type { EntityManager } from 'typeorm';
import { forShare } from '../db/kind';
import { scoreLead, type ScoreResult } from '@lifeline/shared';
import { combineScore, SIGNAL_HORIZON_HALF_LIVES, type LeadSignalFact } from '@lifeline/shared/src/signals';
import type { CompanySettings } from '../companies/settings';
import { scoreInputOf } from '../scoring/score-input';

type Scorable = Parameters<typeof scoreInputOf>;

/**
 * Each lead's signals that still count (younger than the horizon), oldest first. With `latest` (a writer about to store a
 * score), a locking read on MySQL: it sees signals other transactions committed after this one's snapshot, so two
 * signals stored at once for one lead both end up in its score.
 */
export async function liveSignalsOf(em: EntityManager, companyId: number, leadIds: number[], settings: CompanySettings, now: number, latest = false) {
  const out = new Map<number, LeadSignalFact[]>();
  if (!leadIds.length) return out;
  const since = now - SIGNAL_HORIZON_HALF_LIVES * settings.signals.halfLifeHours * 3_600_000;
  const rows: { leadId: number | string; name: string; points: number | string; at: number | string }[] = await em.query(
    `SELECT leadId, name, points, at FROM lead_signal WHERE companyId = ? AND leadId IN (${leadIds.map(() => '?').join(',')}) AND at >= ?
      ORDER BY at, id${latest ? forShare(em) : ''}`,
    [companyId, ...leadIds, since],
  );
  for (const r of rows) {
    const id = Number(r.leadId);
    out.set(id, [...(out.get(id) ?? []), { name: r.name, points: Number(r.points), at: Number(r.at) }]);
  }
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
  latest = false,
) {
  const signals = await liveSignalsOf(em, lead.companyId, [lead.id], settings, now, latest);
  return scoreWith(settings, lead, customer, signals.get(lead.id) ?? [], now);
}
