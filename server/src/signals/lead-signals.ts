import { decayedPoints, shareMultipliers } from '@lifeline/shared/src/signals';
import { agoText } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import type { LeadService } from '../leads/leads.service';
import { LeadSignal } from './entities';

const ORIGIN_LABELS = { chat: '会话', followup: '跟进记录', voice: '语音' } as const;

/** GET /api/leads/:id/signals: every signal seen for a lead, newest first, with its points then and now. */
export async function leadSignals(app: AppContext, leads: LeadService, actor: Actor, leadId: number) {
  const lead = await leads.findVisible(app.ds.manager, actor, leadId);
  const rows = await app.ds
    .getRepository(LeadSignal)
    .find({ where: { companyId: actor.companyId, leadId: lead.id }, order: { at: 'DESC', id: 'DESC' }, take: 200 });
  const now = app.clock.now();
  const s = actor.settings.signals;
  const m = shareMultipliers(s.staticShare).signal;
  return {
    leadId: lead.id,
    halfLifeHours: s.halfLifeHours,
    items: rows.map((r) => ({
      id: r.id,
      name: r.name,
      phrase: r.phrase,
      origin: r.origin,
      originLabel: ORIGIN_LABELS[r.origin],
      at: r.at,
      ago: agoText(r.at, now),
      points: r.points,
      pointsNow: Math.round(decayedPoints(r.points, now - r.at, s.halfLifeHours) * m),
    })),
  };
}
