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
export function subscribeMetricFacts(app: Pick<AppContext, 'events' | 'tx'>): void {
  // The leads touched by one transaction, refreshed once just before it commits: an intake that creates and
  // assigns a lead, or a customer edit that also updates its lead, costs one refresh, not two.
  const touched = new WeakMap<EntityManager, Map<number, { ids: Set<number>; at: number; settings?: CompanySettings }>>();
  const refresh = (em: EntityManager, meta: EventMeta, ids: number[]) => {
    let byCompany = touched.get(em);
    if (!byCompany) touched.set(em, (byCompany = new Map()));
    let batch = byCompany.get(meta.companyId);
    if (!batch) byCompany.set(meta.companyId, (batch = { ids: new Set(), at: meta.at }));
    ids.forEach((id) => batch!.ids.add(id));
    batch.at = Math.max(batch.at, meta.at);
    batch.settings ??= meta.companySettings as CompanySettings | undefined;
    return app.tx.beforeCommit(em, `metrics:facts:${meta.companyId}`, async () => {
      const b = touched.get(em)?.get(meta.companyId);
      touched.get(em)?.delete(meta.companyId);
      if (b) await refreshLeadFacts(em, meta.companyId, [...b.ids], { at: b.at, settings: b.settings });
    });
  };
  app.events.on((em, event, meta) => applyEvent(em, event, meta, refresh));
}

type Refresh = (em: EntityManager, meta: EventMeta, ids: number[]) => Promise<void>;

async function applyEvent(em: EntityManager, event: DomainEvent, meta: EventMeta, refresh: Refresh): Promise<void> {
  switch (event.type) {
    case 'customer.updated': {
      const rows: { id: number }[] = await em.query('SELECT id FROM `lead` WHERE companyId = ? AND customerId = ?', [meta.companyId, event.customer.id]);
      await refresh(em, meta, rows.map((r) => Number(r.id)));
      return;
    }
    case 'followup.created':
    case 'followup.deleted':
    case 'followup.restored': {
      const f = event.followup;
      await syncConversationFollowed(em, f, meta.at, event.type === 'followup.created' ? 'created' : event.type === 'followup.deleted' ? 'deleted' : 'restored');
      if (f.scriptId !== null) {
        const delta = event.type === 'followup.deleted' ? -1 : 1;
        await upsertRow(em, 'rep_day', ['companyId', 'repId', 'day'],
          { companyId: f.companyId, repId: f.authorId, day: chinaDayOf(f.createdAt), scriptFollowups: delta }, { add: ['scriptFollowups'] });
      }
      await refresh(em, meta, [event.lead.id]);
      return;
    }
    default:
      await refresh(em, meta, [event.lead.id]);
  }
}
