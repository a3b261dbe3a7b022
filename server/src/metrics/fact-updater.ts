import type { EntityManager } from 'typeorm';
import { chinaDayOf } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { DomainEvent, EventMeta } from '../events/domain-events';
import type { CompanySettings } from '../companies/settings';
import { refreshLeadFacts, type FactSource } from './facts';
import { conversationKey, syncConversationsFollowed } from './conversations';
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
  // Leads created in this transaction, with a customer created with them, whose sources are all in memory: no
  // follow-ups, one open stay, the customer as the event carried it, no other lead of theirs, no fact yet. Only
  // assignment and claiming (lead fields) may follow; anything else drops the lead back to the read path. Saves
  // four reads inside intake's routing lock.
  const born = new WeakMap<EntityManager, Map<number, FactSource>>();
  const created = new WeakMap<EntityManager, Set<number>>();
  const track = (em: EntityManager, event: DomainEvent) => {
    if (event.type === 'lead.created') {
      if (!created.has(em)) created.set(em, new Set());
      created.get(em)!.add(event.lead.id);
    }
    let mine = born.get(em);
    if (event.type === 'lead.created' && event.customerCreated) {
      if (!mine) born.set(em, (mine = new Map()));
      mine.set(event.lead.id, {
        lead: event.lead as unknown as Record<string, unknown>,
        customer: event.customer as unknown as FactSource['customer'],
        touches: [],
        stays: [{ node: event.lead.journeyNode, enteredAt: event.lead.createdAt, leftAt: null }],
        primary: true,
        before: null,
      });
    } else if (event.type === 'customer.updated') {
      for (const [id, src] of mine ?? []) if (Number(src.lead.customerId) === event.customer.id) mine!.delete(id);
    } else if (mine && event.type !== 'lead.assigned' && event.type !== 'lead.claimed') {
      mine.delete(event.lead.id);
    }
  };
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
      if (!b) return;
      const known = born.get(em);
      const fresh = created.get(em);
      await refreshLeadFacts(em, meta.companyId, [...b.ids], { at: b.at, settings: b.settings, known, created: fresh });
      b.ids.forEach((id) => {
        known?.delete(id);
        fresh?.delete(id); // its fact exists now
      });
    });
  };
  // Conversation updates wait for commit too: one read for all of a transaction's conversations (a group commit holds
  // many saves), the changes of one conversation in event order.
  const conversationSyncs = new WeakMap<EntityManager, Map<string, ConversationChange[]>>();
  const atCommit: AtCommit = (em, change) => {
    let byKey = conversationSyncs.get(em);
    if (!byKey) conversationSyncs.set(em, (byKey = new Map()));
    const key = conversationKey(change.f);
    byKey.set(key, [...(byKey.get(key) ?? []), change]);
    return app.tx.beforeCommit(em, 'metrics:conversations', async () => {
      const queued = conversationSyncs.get(em) ?? new Map<string, ConversationChange[]>();
      conversationSyncs.delete(em);
      await syncConversationsFollowed(em, queued);
    });
  };
  app.events.on((em, event, meta) => {
    track(em, event);
    return applyEvent(em, event, meta, refresh, atCommit);
  });
}

type Refresh = (em: EntityManager, meta: EventMeta, ids: number[]) => Promise<void>;
type ConversationChange = Parameters<typeof syncConversationsFollowed>[1] extends Map<string, (infer C)[]> ? C : never;
type AtCommit = (em: EntityManager, change: ConversationChange) => Promise<void>;

async function applyEvent(em: EntityManager, event: DomainEvent, meta: EventMeta, refresh: Refresh, atCommit: AtCommit): Promise<void> {
  const customersLeads = async (customerId: number) => {
    const rows: { id: number }[] = await em.query('SELECT id FROM `lead` WHERE companyId = ? AND customerId = ?', [meta.companyId, customerId]);
    await refresh(em, meta, rows.map((r) => Number(r.id)));
  };
  switch (event.type) {
    case 'customer.updated':
      return customersLeads(event.customer.id);
    // Which of a customer's leads is the newest live one (where their profile counts) may change.
    case 'lead.created':
      return event.customerCreated ? refresh(em, meta, [event.lead.id]) : customersLeads(event.customer.id);
    case 'lead.deleted':
    case 'lead.restored':
      return customersLeads(event.lead.customerId);
    case 'followup.created':
    case 'followup.deleted':
    case 'followup.restored': {
      const f = event.followup;
      const change = event.type === 'followup.created' ? 'created' : event.type === 'followup.deleted' ? 'deleted' : 'restored';
      await atCommit(em, { f, at: meta.at, change });
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
