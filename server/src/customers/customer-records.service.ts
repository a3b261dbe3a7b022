import { IsNull } from 'typeorm';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { customerHealthOf, serviceTicketsOf } from '../integrations/external-facts';
import { Audit } from '../audit/audit.service';
import { Lead } from '../leads/lead.entity';
import { applyLeadScope } from '../leads/lead-scope';
import { conflict, notFound } from '../http/errors';
import { Customer } from './customer.entity';
import { customerView } from './customer.view';
import { assertCan } from '../auth/permissions';

/** Customer record operations: read, reveal phone (audited), soft delete and restore (admin). */
export class CustomerRecords {
  constructor(private readonly app: AppContext) {}

  /** A customer is visible to whoever sees one of their live (not deleted) leads (everyone company-wide for ops/director/admin). */
  private async findVisible(actor: Actor, id: number, withDeleted = false): Promise<Customer> {
    const c = await this.app.ds.getRepository(Customer).findOneBy({ id, companyId: actor.companyId });
    if (!c || (c.deletedAt !== null && !withDeleted)) throw notFound(`客户不存在或无权查看（ID ${id}）`);
    if (actor.scope) {
      const qb = this.app.ds.getRepository(Lead).createQueryBuilder('lead').where('lead.customerId = :id AND lead.deletedAt IS NULL', { id });
      const n = await applyLeadScope(qb, actor).getCount();
      if (!n) throw notFound(`客户不存在或无权查看（ID ${id}）`);
    }
    return c;
  }

  async get(actor: Actor, id: number) {
    const c = await this.findVisible(actor, id, actor.role === 'admin');
    const now = this.app.clock.now();
    const [health, tickets] = await Promise.all([
      customerHealthOf(this.app.ds.manager, actor.companyId, id, now),
      serviceTicketsOf(this.app.ds.manager, actor.companyId, id),
    ]);
    return { ...customerView(actor, c), health, serviceTickets: tickets };
  }

  async revealPhone(actor: Actor, id: number, requestId?: string) {
    assertCan(actor, 'customer.revealPhone');
    const c = await this.findVisible(actor, id);
    const now = this.app.clock.now();
    await this.app.tx.run((em) =>
      new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).write('customer', id, 'reveal', [
        { field: 'phone', before: null, after: null },
      ]),
    );
    return { id, phone: c.phone };
  }

  async setDeleted(actor: Actor, id: number, deleted: boolean, requestId?: string) {
    assertCan(actor, 'customer.delete');
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const c = await em.getRepository(Customer).findOneBy({ id, companyId: actor.companyId });
      if (!c) throw notFound(`客户不存在（ID ${id}）`);
      if (deleted === (c.deletedAt !== null)) throw conflict(deleted ? '该客户已在回收站中' : '该客户未被删除，无需恢复');
      if (deleted) {
        // Nothing cascades: a customer with live leads cannot disappear from under them.
        const live = await em.getRepository(Lead).countBy({ companyId: actor.companyId, customerId: id, deletedAt: IsNull() });
        if (live) throw conflict(`该客户还有 ${live} 条线索未删除，请先处理这些线索`);
      }
      const deletedAt = deleted ? now : null;
      await em.getRepository(Customer).update({ id }, { deletedAt, updatedAt: now });
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed(
        'customer',
        id,
        [{ field: 'deletedAt', before: c.deletedAt, after: deletedAt }],
        deleted ? 'delete' : 'restore',
      );
      return { id, deletedAt };
    });
  }
}
