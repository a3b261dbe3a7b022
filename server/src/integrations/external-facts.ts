/** What other systems told us, as the product shows it: a customer's health and tickets, the money received for a lead. */
import { IsNull, type EntityManager } from 'typeorm';
import { LeadRevenue, ServiceTicket } from './entities';
import { RECENT_FAULT_DAYS, customerHealth, type CustomerHealth } from '@lifeline/shared/src/integrations';

const DAY = 86_400_000;

/** A customer's health as of `now`: their tickets (open, faults in the last 90 days) and the last follow-up. */
export async function customerHealthOf(em: EntityManager, companyId: number, customerId: number, now: number): Promise<CustomerHealth> {
  const [tickets, contact] = await Promise.all([
    em.query(
      `SELECT SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS openTickets,
              SUM(CASE WHEN status = 'open' AND fault = ? THEN 1 ELSE 0 END) AS openFaults,
              SUM(CASE WHEN fault = ? AND openedAt >= ? THEN 1 ELSE 0 END) AS recentFaults
         FROM service_ticket WHERE companyId = ? AND customerId = ?`,
      [true, true, now - RECENT_FAULT_DAYS * DAY, companyId, customerId],
    ) as Promise<Record<string, unknown>[]>,
    em.query('SELECT MAX(createdAt) AS at FROM followup WHERE companyId = ? AND customerId = ? AND deletedAt IS NULL', [companyId, customerId]) as Promise<
      Record<string, unknown>[]
    >,
  ]);
  const t = tickets[0] ?? {};
  const last = contact[0]?.at === null || contact[0]?.at === undefined ? null : Number(contact[0].at);
  return customerHealth({
    openTickets: Number(t.openTickets ?? 0),
    openFaults: Number(t.openFaults ?? 0),
    recentFaults: Number(t.recentFaults ?? 0),
    daysSinceContact: last === null ? null : Math.max(0, (now - last) / DAY),
  });
}

/** The customer's after-sales tickets, open first then newest (the card lists the open ones, the detail all). */
export async function serviceTicketsOf(em: EntityManager, companyId: number, customerId: number, limit = 20) {
  const rows = await em.getRepository(ServiceTicket).find({ where: { companyId, customerId }, order: { updatedAt: 'DESC', id: 'DESC' }, take: limit });
  return rows
    .sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open'))
    .map((t) => ({
      id: t.id,
      ticketId: t.ticketId,
      category: t.category,
      fault: t.fault,
      status: t.status,
      summary: t.summary,
      openedAt: t.openedAt,
      closedAt: t.closedAt,
    }));
}

/** Money finance reported for a lead (回款 events): the total in yuan and each payment. */
export async function revenueOfLead(em: EntityManager, companyId: number, leadId: number) {
  const rows = await em.getRepository(LeadRevenue).find({ where: { companyId, leadId, deletedAt: IsNull() }, order: { paidAt: 'ASC', id: 'ASC' } });
  return {
    total: rows.reduce((a, r) => a + r.amountFen, 0) / 100,
    payments: rows.map((r) => ({ amount: r.amountFen / 100, contractNo: r.contractNo, paidAt: r.paidAt })),
  };
}
