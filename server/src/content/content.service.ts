import { In, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { plainText, textCheck } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit } from '../audit/audit.service';
import { Customer } from '../customers/customer.entity';
import { Lead } from '../leads/lead.entity';
import { applyLeadScope } from '../leads/lead-scope';
import { notFound } from '../http/errors';
import { ContentItem, ContentQueueItem } from './content.entities';
import { DEFAULT_CONTENT } from './defaults';
import { assertCan } from '../auth/permissions';
import { insertRowsPlain } from '../db/rows';

export const contentItemSchema = z
  .object({
    tag: plainText('标签', 20).trim().min(1, '请填写触发标签'),
    title: plainText('资料标题', 64).trim().min(1, '请填写资料标题'),
    url: z.url({ error: '资料链接应为完整网址（https://…）' }).check(textCheck('资料链接')).max(255, '链接最多255个字符'),
  })
  .strict();

/** Installs the default education set for a company that has no content yet (demo seed, new companies). */
export async function ensureDefaultContent(em: EntityManager, companyId: number, now: number): Promise<number> {
  if (await em.getRepository(ContentItem).countBy({ companyId })) return 0;
  await insertRowsPlain(
    em,
    ContentItem,
    DEFAULT_CONTENT.map((c) => ({ companyId, ...c, createdBy: null, createdAt: now, deletedAt: null })),
  );
  return DEFAULT_CONTENT.length;
}

/**
 * Content by tag: when a customer carries a tag (at intake or on edit), the material mapped to that tag
 * is queued once for them; the rep sees it in the sidebar and marks it sent.
 */
export class ContentService {
  constructor(private readonly app: AppContext) {}

  subscribe(): void {
    this.app.events.on(async (em, emitted) => {
      for (const { event, meta } of emitted) {
        const tagsTouched = event.type === 'lead.created' || (event.type === 'lead.updated' && event.changes.some((c) => c.field === 'customer.tags'));
        // A new lead brings its customer (no re-read); a tag edit re-reads the stored tags.
        const known = event.type === 'lead.created' ? (event.customer.tags ?? []) : undefined;
        if (tagsTouched) await this.queueForCustomer(em, event.lead.companyId, event.lead.customerId, meta.at, meta.actorId, meta.requestId, known);
      }
    });
  }

  async queueForCustomer(
    em: EntityManager,
    companyId: number,
    customerId: number,
    now: number,
    actorId: number | null,
    requestId?: string,
    knownTags?: string[],
  ) {
    const tags =
      knownTags ?? (await em.getRepository(Customer).findOne({ where: { id: customerId, companyId }, select: { id: true, tags: true } }))?.tags ?? [];
    if (!tags.length) return;
    const items = await em.getRepository(ContentItem).findBy({ companyId, tag: In(tags) });
    const live = items.filter((i) => i.deletedAt === null);
    if (!live.length) return;
    const have = await em.getRepository(ContentQueueItem).findBy({ companyId, customerId, contentId: In(live.map((i) => i.id)) });
    const missing = live.filter((i) => !have.some((h) => h.contentId === i.id));
    if (!missing.length) return;
    // Concurrent leads for one customer may race here; "insert or ignore" keeps one row and never fails the lead.
    const ignore = this.app.tx.kind === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    for (const item of missing) {
      await em.query(
        `${ignore} INTO content_queue (companyId, customerId, contentId, reason, status, queuedAt, sentAt, sentBy) VALUES (?, ?, ?, ?, 'queued', ?, NULL, NULL)`,
        [companyId, customerId, item.id, `客户标签「${item.tag}」`, now],
      );
    }
    const rows = await em.getRepository(ContentQueueItem).findBy({ companyId, customerId, contentId: In(missing.map((i) => i.id)), queuedAt: now });
    const audit = new Audit(em, { companyId, actorId, requestId, at: now });
    for (const r of rows) await audit.created('content_queue', r.id, r);
  }

  private async visibleCustomer(actor: Actor, customerId: number) {
    const c = await this.app.ds.getRepository(Customer).findOneBy({ id: customerId, companyId: actor.companyId });
    if (!c || c.deletedAt !== null) throw notFound(`客户不存在或无权查看（ID ${customerId}）`);
    if (actor.scope) {
      const qb = this.app.ds.getRepository(Lead).createQueryBuilder('lead').where('lead.customerId = :id AND lead.deletedAt IS NULL', { id: customerId });
      if (!(await applyLeadScope(qb, actor).getCount())) throw notFound(`客户不存在或无权查看（ID ${customerId}）`);
    }
    return c;
  }

  async queue(actor: Actor, customerId: number) {
    await this.visibleCustomer(actor, customerId);
    const rows = await this.app.ds
      .getRepository(ContentQueueItem)
      .find({ where: { customerId, companyId: actor.companyId, status: 'queued' }, order: { queuedAt: 'ASC', id: 'ASC' } });
    const items = rows.length ? await this.app.ds.getRepository(ContentItem).findBy({ companyId: actor.companyId, id: In(rows.map((r) => r.contentId)) }) : [];
    return {
      items: rows.flatMap((r) => {
        const c = items.find((i) => i.id === r.contentId);
        return c && c.deletedAt === null ? [{ id: r.id, title: c.title, url: c.url, reason: r.reason }] : [];
      }),
    };
  }

  /** Marking sent is idempotent: the second call answers with the first send and writes nothing. */
  async markSent(actor: Actor, id: number, requestId?: string) {
    return this.app.tx.run(async (em) => {
      const qb = em.getRepository(ContentQueueItem).createQueryBuilder('q').where('q.id = :id AND q.companyId = :c', { id, c: actor.companyId });
      if (this.app.tx.kind === 'mysql') qb.setLock('pessimistic_write');
      const row = await qb.getOne();
      if (!row) throw notFound(`待发送资料不存在（ID ${id}）`);
      await this.visibleCustomer(actor, row.customerId);
      if (row.status === 'sent') return { id, sentAt: row.sentAt, sentBy: row.sentBy, alreadySent: true };
      const now = this.app.clock.now();
      await em.getRepository(ContentQueueItem).update({ id }, { status: 'sent', sentAt: now, sentBy: actor.id });
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('content_queue', id, [
        { field: 'status', before: 'queued', after: 'sent' },
      ]);
      return { id, sentAt: now, sentBy: actor.id, alreadySent: false };
    });
  }

  // ---- tag → content mapping (admin) ----

  async items(actor: Actor) {
    const rows = await this.app.ds.getRepository(ContentItem).find({ where: { companyId: actor.companyId }, order: { id: 'ASC' } });
    return { items: rows.filter((r) => r.deletedAt === null).map(({ id, tag, title, url }) => ({ id, tag, title, url })) };
  }

  async addItem(actor: Actor, input: z.infer<typeof contentItemSchema>, requestId?: string) {
    assertCan(actor, 'content.configure');
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = em.getRepository(ContentItem).create({ companyId: actor.companyId, ...input, createdBy: actor.id, createdAt: now, deletedAt: null });
      await em.getRepository(ContentItem).insert(row);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('content_item', row.id, row);
      return { id: row.id, tag: row.tag, title: row.title, url: row.url };
    });
  }

  async removeItem(actor: Actor, id: number, requestId?: string) {
    assertCan(actor, 'content.configure');
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = await em.getRepository(ContentItem).findOneBy({ id, companyId: actor.companyId });
      if (!row || row.deletedAt !== null) throw notFound(`标签资料不存在（ID ${id}）`);
      await em.getRepository(ContentItem).update({ id }, { deletedAt: now });
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed(
        'content_item',
        id,
        [{ field: 'deletedAt', before: null, after: now }],
        'delete',
      );
      return { id, deletedAt: now };
    });
  }
}
