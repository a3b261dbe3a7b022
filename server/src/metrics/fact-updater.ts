import type { EntityManager } from 'typeorm';
import { chinaDayOf } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { DomainEvent, EventMeta } from '../events/domain-events';
import type { CompanySettings } from '../companies/settings';
import { refreshLeadFacts } from './facts';
import { syncConversationFollowed } from './conversations';
import { upsertRow } from './sql';

/**
 * Metrics follow events: every lead, follow-up and customer change refreshes the affected leads' facts
 * (and conversations, script counters) in the same transaction, so a dashboard read right after the
 * change already reflects it. No nightly batch, no cache.
 */
export function subscribeMetricFacts(app: Pick<AppContext, 'events'>): void {
  app.events.on((em, event, meta) => applyEvent(em, event, meta));
}

async function applyEvent(em: EntityManager, event: DomainEvent, meta: EventMeta): Promise<void> {
  switch (event.type) {
    case 'customer.updated': {
      const rows: { id: number }[] = await em.query('SELECT id FROM `lead` WHERE companyId = ? AND customerId = ?', [meta.companyId, event.customer.id]);
      await refreshLeadFacts(em, meta.companyId, rows.map((r) => Number(r.id)), { at: meta.at, settings: meta.companySettings as CompanySettings | undefined });
      return;
    }
    case 'followup.created':
    case 'followup.deleted':
    case 'followup.restored': {
      const f = event.followup;
      await syncConversationFollowed(em, f, meta.at);
      if (f.scriptId !== null) {
        const delta = event.type === 'followup.deleted' ? -1 : 1;
        await upsertRow(em, 'rep_day', ['companyId', 'repId', 'day'],
          { companyId: f.companyId, repId: f.authorId, day: chinaDayOf(f.createdAt), scriptFollowups: delta }, { add: ['scriptFollowups'] });
      }
      await refreshLeadFacts(em, meta.companyId, [event.lead.id], { at: meta.at, settings: meta.companySettings as CompanySettings | undefined });
      return;
    }
    default:
      await refreshLeadFacts(em, meta.companyId, [event.lead.id], { at: meta.at, settings: meta.companySettings as CompanySettings | undefined });
  }
}
