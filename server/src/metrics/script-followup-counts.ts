import { chinaDayOf } from '@lifeline/shared';
import type { AppContext } from '../context';
import { upsertRow } from './sql';

/**
 * rep_day.scriptFollowups counts live follow-ups that used a library script. It moves by ±1 in the transaction that
 * inserts, deletes or restores the follow-up: the counter and the row it counts commit together, and deltas commute,
 * so concurrent saves need no projector for it (docs/architecture.md, "derived state").
 */
export function subscribeScriptFollowupCounts(app: Pick<AppContext, 'events'>): void {
  app.events.on(async (em, emitted) => {
    for (const { event } of emitted) {
      if (event.type !== 'followup.created' && event.type !== 'followup.deleted' && event.type !== 'followup.restored') continue;
      const f = event.followup;
      if (f.scriptId === null) continue;
      await upsertRow(
        em,
        'rep_day',
        ['companyId', 'repId', 'day'],
        { companyId: f.companyId, repId: f.authorId, day: chinaDayOf(f.createdAt), scriptFollowups: event.type === 'followup.deleted' ? -1 : 1 },
        { add: ['scriptFollowups'] },
      );
    }
  });
}
