import { randomUUID } from 'node:crypto';
import { IsNull } from 'typeorm';
import type { z } from 'zod';
import type { webhookCreateSchema, webhookDeliveryListSchema, webhookUpdateSchema } from '@lifeline/shared/src/integrations';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { conflict, notFound } from '../http/errors';
import { insertRow } from '../db/rows';
import { jsonOrText } from '../http/json-text';
import { WebhookDelivery, WebhookSubscription } from './webhook.entities';
import { deliveryRow, type WebhookOutbox } from './webhook-events';
import { newSigningSecret } from './signing';

const PAGE = 50;

/** Webhook subscriptions and their delivery logs (admin). Secrets are shown once, at creation and on rotation. */
export class Webhooks {
  constructor(
    private readonly app: AppContext,
    private readonly outbox: WebhookOutbox,
  ) {}

  async list(actor: Actor) {
    const subs = await this.app.ds
      .getRepository(WebhookSubscription)
      .find({ where: { companyId: actor.companyId, deletedAt: IsNull() }, order: { id: 'ASC' } });
    const counts: { subscriptionId: number; state: string; n: number }[] = subs.length
      ? await this.app.ds.query(
          `SELECT subscriptionId, state, COUNT(*) AS n FROM webhook_delivery WHERE companyId = ? AND createdAt >= ? GROUP BY subscriptionId, state`,
          [actor.companyId, this.app.clock.now() - 7 * 86_400_000],
        )
      : [];
    const last7d = (id: number) => Object.fromEntries(counts.filter((c) => Number(c.subscriptionId) === id).map((c) => [c.state, Number(c.n)]));
    return { items: subs.map((s) => ({ ...view(s), last7d: last7d(s.id) })) };
  }

  async create(actor: Actor, input: z.infer<typeof webhookCreateSchema>, requestId?: string) {
    const secret = newSigningSecret('whsec');
    const row = await this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const sub = await insertRow(
        em,
        WebhookSubscription,
        em.getRepository(WebhookSubscription).create({
          companyId: actor.companyId,
          url: input.url,
          events: input.events,
          description: input.description ?? null,
          secret,
          active: true,
          pausedAt: null,
          pauseReason: null,
          consecutiveFailures: 0,
          createdBy: actor.id,
          createdAt: now,
          updatedAt: now,
          deletedAt: null,
        }),
      );
      const { secret: _s, ...snapshot } = sub;
      void _s;
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('webhook_subscription', sub.id, snapshot);
      return sub;
    });
    this.outbox.invalidate(actor.companyId);
    return { ...view(row), secret };
  }

  async update(actor: Actor, id: number, patch: z.infer<typeof webhookUpdateSchema>, requestId?: string) {
    const result = await this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const sub = await this.owned(em.getRepository(WebhookSubscription), actor, id);
      // Switching on again also lifts an automatic pause: the admin says the receiver is fixed.
      const resume = patch.active === true && sub.pausedAt !== null;
      const changes = diffFields(sub, { url: patch.url, events: patch.events, description: patch.description, active: patch.active });
      if (resume) changes.push({ field: 'pausedAt', before: sub.pausedAt, after: null });
      const secret = patch.rotateSecret ? newSigningSecret('whsec') : undefined;
      const update: Partial<WebhookSubscription> = {
        ...Object.fromEntries(changes.map((c) => [c.field, c.after])),
        ...(resume ? { pauseReason: null, consecutiveFailures: 0 } : {}),
        ...(secret ? { secret } : {}),
        updatedAt: now,
      };
      if (changes.length || secret) {
        await em.getRepository(WebhookSubscription).update({ id }, update);
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('webhook_subscription', id, [
          ...changes,
          ...(secret ? [{ field: 'secret', before: '（旧密钥）', after: '（已更换）' }] : []),
        ]);
      }
      return { ...view(Object.assign(sub, update)), secret, changed: [...changes.map((c) => c.field), ...(secret ? ['secret'] : [])] };
    });
    this.outbox.invalidate(actor.companyId);
    return result;
  }

  async remove(actor: Actor, id: number, requestId?: string) {
    await this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      await this.owned(em.getRepository(WebhookSubscription), actor, id);
      await em.getRepository(WebhookSubscription).update({ id }, { deletedAt: now, updatedAt: now });
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed(
        'webhook_subscription',
        id,
        [{ field: 'deletedAt', before: null, after: now }],
        'delete',
      );
    });
    this.outbox.invalidate(actor.companyId);
    return { id, deleted: true };
  }

  async deliveries(actor: Actor, id: number, q: z.infer<typeof webhookDeliveryListSchema>) {
    await this.owned(this.app.ds.getRepository(WebhookSubscription), actor, id);
    const [rows, total] = await this.app.ds.getRepository(WebhookDelivery).findAndCount({
      where: { companyId: actor.companyId, subscriptionId: id, ...(q.state ? { state: q.state } : {}) },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (q.page - 1) * PAGE,
      take: PAGE,
    });
    return { items: rows.map(deliveryView), total, page: q.page, pageSize: PAGE };
  }

  /** Sends a delivery again (a failed one, or a delivered one the receiver lost): same event id, fresh attempts. */
  async replay(actor: Actor, id: number, deliveryId: number, requestId?: string) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      await this.owned(em.getRepository(WebhookSubscription), actor, id);
      const d = await em.getRepository(WebhookDelivery).findOneBy({ id: deliveryId, subscriptionId: id, companyId: actor.companyId });
      if (!d) throw notFound(`发送记录不存在（ID ${deliveryId}）`);
      if (d.state === 'pending') throw conflict('这条事件正在发送或等待重试，无需重放');
      await em
        .getRepository(WebhookDelivery)
        .update({ id: d.id }, { state: 'pending', attempts: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, deliveredAt: null, updatedAt: now });
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('webhook_delivery', d.id, [
        { field: 'state', before: d.state, after: 'pending' },
      ]);
      return deliveryView({ ...d, state: 'pending', attempts: 0, nextAttemptAt: now });
    });
  }

  /** A `webhook.ping` queued for one subscription: check the receiver's signature handling before going live. */
  async ping(actor: Actor, id: number) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      await this.owned(em.getRepository(WebhookSubscription), actor, id);
      const eventId = `evt_${randomUUID()}`;
      const payload = JSON.stringify({ id: eventId, type: 'webhook.ping', occurredAt: new Date(now).toISOString(), companyId: actor.companyId, data: {} });
      const row = await insertRow(
        em,
        WebhookDelivery,
        em.getRepository(WebhookDelivery).create(deliveryRow(actor.companyId, id, eventId, 'webhook.ping', payload, now)),
      );
      return deliveryView(row);
    });
  }

  private async owned(repo: import('typeorm').Repository<WebhookSubscription>, actor: Actor, id: number) {
    const sub = await repo.findOneBy({ id, companyId: actor.companyId, deletedAt: IsNull() });
    if (!sub) throw notFound(`Webhook 不存在（ID ${id}）`);
    return sub;
  }
}

function view(s: WebhookSubscription) {
  return {
    id: s.id,
    url: s.url,
    events: s.events,
    description: s.description,
    active: s.active,
    paused: s.pausedAt !== null,
    pausedAt: s.pausedAt,
    pauseReason: s.pauseReason,
    consecutiveFailures: s.consecutiveFailures,
    createdAt: s.createdAt,
  };
}

function deliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt : null,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    log: d.log,
    deliveredAt: d.deliveredAt,
    createdAt: d.createdAt,
    payload: jsonOrText(d.payload),
  };
}
