import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { maskPhone, scoreLevelOf } from '@lifeline/shared';
import type { WebhookEvent } from '@lifeline/shared/src/integrations';
import type { WebhookPayload } from './webhook-payload';
import type { AppContext } from '../context';
import type { DomainEvent, EventMeta } from '../events/domain-events';
import type { Customer } from '../customers/customer.entity';
import type { Followup } from '../followups/followup.entity';
import type { Lead } from '../leads/lead.entity';
import { maskPhonesDeep } from '../customers/phone-visibility';
import { insertRowsPlain } from '../db/rows';
import { WebhookDelivery, WebhookSubscription } from './webhook.entities';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
type Data = WebhookPayload['data'];

export const leadData = (l: Lead, levelA?: number) => ({
  id: l.id,
  customerId: l.customerId,
  channel: l.channel,
  campaign: l.campaign,
  status: l.status,
  journeyNode: l.journeyNode,
  score: l.score,
  level: scoreLevelOf(l.score, levelA),
  ownerId: l.ownerId,
  signedAt: iso(l.signedAt),
  createdAt: iso(l.createdAt)!,
});

const customerData = (c: Customer) => ({
  id: c.id,
  name: c.name,
  phone: maskPhone(c.phone),
  province: c.province,
  city: c.city,
  grade: c.grade,
  concerns: c.concerns,
  tags: c.tags,
});

const followupData = (f: Followup) => ({
  id: f.id,
  leadId: f.leadId,
  authorId: f.authorId,
  action: f.action,
  conclusion: f.conclusion,
  nextStepAt: iso(f.nextStepAt),
  createdAt: iso(f.createdAt)!,
});

/** The webhook events one domain event stands for, with their data (phones masked: a webhook never carries a full number). */
export function webhookEventsOf(event: DomainEvent, levelA?: number): { type: WebhookEvent; data: Data }[] {
  const out: { type: WebhookEvent; data: Data }[] = [];
  const leadMoves = (before: Pick<Lead, 'status' | 'journeyNode' | 'score'>, lead: Lead, extra: Data = {}) => {
    const data = { lead: leadData(lead, levelA), ...extra };
    if (before.journeyNode !== lead.journeyNode)
      out.push({ type: 'lead.stage_changed', data: { ...data, changes: [{ field: 'journeyNode', before: before.journeyNode, after: lead.journeyNode }] } });
    if (before.status !== lead.status) {
      out.push({ type: 'lead.status_changed', data: { ...data, changes: [{ field: 'status', before: before.status, after: lead.status }] } });
      if (lead.status === 'won') out.push({ type: 'lead.won', data });
    }
    if (scoreLevelOf(before.score, levelA) !== scoreLevelOf(lead.score, levelA)) {
      out.push({
        type: 'customer.level_changed',
        data: { ...data, changes: [{ field: 'level', before: scoreLevelOf(before.score, levelA), after: scoreLevelOf(lead.score, levelA) }] },
      });
    }
  };
  switch (event.type) {
    case 'lead.created':
      out.push({ type: 'lead.created', data: { lead: leadData(event.lead, levelA), customer: customerData(event.customer) } });
      break;
    case 'lead.assigned':
      out.push({ type: 'lead.assigned', data: { lead: leadData(event.lead, levelA), fromOwnerId: event.fromOwnerId } });
      break;
    case 'lead.deleted':
      out.push({ type: 'lead.deleted', data: { lead: leadData(event.lead, levelA) } });
      break;
    case 'followup.created':
      out.push({ type: 'followup.created', data: { lead: leadData(event.lead, levelA), followup: followupData(event.followup) } });
      leadMoves(event.leadBefore, event.lead);
      break;
    case 'lead.updated': {
      const before = { status: event.lead.status, journeyNode: event.lead.journeyNode, score: event.lead.score };
      for (const c of event.changes)
        if (c.field === 'status' || c.field === 'journeyNode' || c.field === 'score') Object.assign(before, { [c.field]: c.before });
      leadMoves(before, event.lead, { changes: event.changes.filter((c) => ['status', 'journeyNode', 'score'].includes(c.field)) });
      break;
    }
    case 'customer.updated':
      if (event.changes.length) out.push({ type: 'customer.updated', data: { customer: customerData(event.customer), changes: event.changes } });
      break;
  }
  return out;
}

const CACHE_MS = 5_000;

/**
 * Queues webhook deliveries in the transaction of the change (the outbox): committed with it or not at all. A
 * company's subscriptions are read at most every 5 s per process (a change made here is seen at once; one made in
 * another process within 5 s), so a busy company's saves do not pay a query each.
 */
export class WebhookOutbox {
  private readonly cache = new Map<number, { at: number; subs: Pick<WebhookSubscription, 'id' | 'events'>[] }>();

  constructor(private readonly app: AppContext) {}

  invalidate(companyId: number): void {
    this.cache.delete(companyId);
  }

  subscribe(): void {
    this.app.events.on(async (em, emitted) => {
      const rows: Partial<WebhookDelivery>[] = [];
      for (const { event, meta } of emitted) {
        const subs = await this.subscriptionsOf(em, meta.companyId);
        if (!subs.length) continue;
        for (const { type, data } of webhookEventsOf(event, levelAOf(meta))) {
          const listening = subs.filter((s) => s.events.includes(type));
          if (!listening.length) continue;
          const eventId = `evt_${randomUUID()}`;
          const payload = JSON.stringify(maskPhonesDeep({ id: eventId, type, occurredAt: iso(meta.at), companyId: meta.companyId, data }));
          for (const s of listening) rows.push(deliveryRow(meta.companyId, s.id, eventId, type, payload, meta.at));
        }
      }
      if (rows.length) await insertRowsPlain(em, WebhookDelivery, rows);
    });
  }

  private async subscriptionsOf(em: EntityManager, companyId: number) {
    const now = Date.now();
    const hit = this.cache.get(companyId);
    if (hit && now - hit.at < CACHE_MS) return hit.subs;
    const subs = await em
      .getRepository(WebhookSubscription)
      .createQueryBuilder('s')
      .select(['s.id', 's.events'])
      .where('s.companyId = :companyId AND s.active = :active AND s.deletedAt IS NULL', { companyId, active: true })
      .getMany();
    this.cache.set(companyId, { at: now, subs });
    return subs;
  }
}

function levelAOf(meta: EventMeta): number | undefined {
  const v = (meta.companySettings as { levelA?: unknown } | undefined)?.levelA;
  return typeof v === 'number' ? v : undefined;
}

export function deliveryRow(companyId: number, subscriptionId: number, eventId: string, type: string, payload: string, at: number): Partial<WebhookDelivery> {
  return {
    companyId,
    subscriptionId,
    eventId,
    eventType: type,
    payload,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    lastStatus: null,
    lastError: null,
    log: [],
    leaseOwner: null,
    leaseUntil: null,
    deliveredAt: null,
    createdAt: at,
    updatedAt: at,
  };
}
