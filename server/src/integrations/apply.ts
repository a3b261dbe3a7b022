import { IsNull, type EntityManager } from 'typeorm';
import { maskPhone, OPEN_LEAD_STATUSES } from '@lifeline/shared';
import type { MappedEvent } from '@lifeline/shared/src/integrations';
import type { AppContext } from '../context';
import { Audit, diffFields, type AuditContext } from '../audit/audit.service';
import { Customer } from '../customers/customer.entity';
import { Lead } from '../leads/lead.entity';
import { recordJourneyStep } from '../journey/journey-step';
import { findById, findOneWhere, insertRow } from '../db/rows';
import { LeadRevenue, ServiceTicket, type EventSource, type InboundEvent } from './entities';

/** What applying an event did: taken in (with what it touched), or parked for a person with the reason. */
export type ApplyResult =
  { status: 'applied'; customerId: number; leadId: number | null; note?: string } | { status: 'parked'; reason: string; customerId?: number | null };

const WON_NODE = '签约转化';

/**
 * Applies one mapped event in the caller's transaction (the archive row is written beside it). The customer is named
 * by our id or a phone; one we cannot find parks the event for review instead of dropping it.
 */
export async function applyEvent(
  app: AppContext,
  em: EntityManager,
  source: EventSource,
  row: InboundEvent | null,
  e: MappedEvent,
  audit: AuditContext,
): Promise<ApplyResult> {
  const customer = await customerOf(em, source.companyId, e);
  if (!customer) {
    const who = [e.customerId ? `客户ID ${e.customerId}` : null, e.phone ? `手机号 ${maskPhone(e.phone)}` : null].filter(Boolean).join('、');
    return { status: 'parked', reason: `找不到客户（${who}），请在待处理事件中指定客户` } satisfies ApplyResult;
  }
  if (e.kind === 'finance') return applyPayment(app, em, customer, row!, e, audit);
  if (e.kind === 'after_sales') return applyTicket(em, source, customer, e, audit);
  return { status: 'applied', customerId: customer.id, leadId: null } satisfies ApplyResult;
}

function customerOf(em: EntityManager, companyId: number, e: { customerId: number | null; phone: string | null }) {
  if (e.customerId) return findOneWhere(em, Customer, { id: e.customerId, companyId, deletedAt: null });
  return findOneWhere(em, Customer, { companyId, phone: e.phone!, deletedAt: null });
}

/** The lead a payment is for: the one named (if it is this customer's), else the customer's newest open lead, else newest. */
async function leadForPayment(em: EntityManager, customer: Customer, leadId: number | null): Promise<Lead | null> {
  const live = await em.getRepository(Lead).find({
    where: { companyId: customer.companyId, customerId: customer.id, deletedAt: IsNull() },
    order: { createdAt: 'DESC', id: 'DESC' },
  });
  if (leadId !== null) return live.find((l) => l.id === leadId) ?? null;
  const open = live.filter((l) => (OPEN_LEAD_STATUSES as readonly string[]).includes(l.status) || l.status === 'won');
  return open[0] ?? live[0] ?? null;
}

/** 回款: money recorded against the lead (revenue per lead and channel); the lead becomes 已签约 if it was not. */
async function applyPayment(
  app: AppContext,
  em: EntityManager,
  customer: Customer,
  row: InboundEvent,
  e: Extract<MappedEvent, { kind: 'finance' }>,
  ctx: AuditContext,
): Promise<ApplyResult> {
  const found = await leadForPayment(em, customer, e.leadId);
  if (!found) {
    const reason = e.leadId ? `线索 ${e.leadId} 不是该客户的线索或已删除` : '该客户没有可记入回款的线索';
    return { status: 'parked', reason: `${reason}，请在待处理事件中指定线索`, customerId: customer.id };
  }
  const lead = (await findById(em, Lead, found.id, { lock: true }))!;
  const audit = new Audit(em, ctx);
  const revenue = await insertRow(
    em,
    LeadRevenue,
    em.getRepository(LeadRevenue).create({
      companyId: customer.companyId,
      leadId: lead.id,
      customerId: customer.id,
      channel: lead.channel,
      amountFen: e.amountFen,
      contractNo: e.contractNo,
      paidAt: e.paidAt,
      inboundEventId: row.id,
      createdAt: ctx.at,
      deletedAt: null,
    }),
  );
  await audit.created('lead_revenue', revenue.id, revenue);
  if (lead.status === 'won') return { status: 'applied', customerId: customer.id, leadId: lead.id };
  const patch: Partial<Lead> = { status: 'won', signedAt: lead.signedAt ?? e.paidAt, journeyNode: WON_NODE };
  const changes = diffFields(lead, patch);
  const fromNode = lead.journeyNode;
  await em.getRepository(Lead).update({ id: lead.id }, { ...patch, updatedAt: ctx.at });
  await audit.changed('lead', lead.id, changes);
  Object.assign(lead, patch, { updatedAt: ctx.at });
  if (fromNode !== WON_NODE) {
    await recordJourneyStep(em, {
      companyId: lead.companyId,
      leadId: lead.id,
      fromNode,
      toNode: WON_NODE,
      at: ctx.at,
      actorId: null,
      followupId: null,
      scriptId: null,
    });
  }
  await app.events.emit(
    em,
    { type: 'lead.updated', lead, changes },
    { companyId: lead.companyId, actorId: null, at: ctx.at, requestId: ctx.requestId ?? undefined },
  );
  return { status: 'applied', customerId: customer.id, leadId: lead.id, note: '线索已标记为已签约' };
}

/** 工单 opened/closed: the ticket as last reported; an event older than the last one applied changes nothing. */
async function applyTicket(
  em: EntityManager,
  source: EventSource,
  customer: Customer,
  e: Extract<MappedEvent, { kind: 'after_sales' }>,
  ctx: AuditContext,
): Promise<ApplyResult> {
  const audit = new Audit(em, ctx);
  const repo = em.getRepository(ServiceTicket);
  const fault = e.fault ?? source.faultCategories.includes(e.category);
  const existing = await findOneWhere(em, ServiceTicket, { sourceId: source.id, ticketId: e.ticketId }, { lock: true });
  if (!existing) {
    const ticket = await insertRow(
      em,
      ServiceTicket,
      repo.create({
        companyId: customer.companyId,
        sourceId: source.id,
        customerId: customer.id,
        ticketId: e.ticketId,
        category: e.category,
        fault,
        status: e.status,
        summary: e.summary,
        openedAt: e.occurredAt,
        closedAt: e.status === 'closed' ? e.occurredAt : null,
        updatedAt: e.occurredAt,
      }),
    );
    await audit.created('service_ticket', ticket.id, ticket);
    return { status: 'applied', customerId: customer.id, leadId: null };
  }
  if (e.occurredAt < existing.updatedAt) return { status: 'applied', customerId: existing.customerId, leadId: null, note: '比已记录的状态更早，工单未改变' };
  const patch: Partial<ServiceTicket> = {
    status: e.status,
    category: e.category,
    fault,
    summary: e.summary ?? existing.summary,
    closedAt: e.status === 'closed' ? (existing.closedAt ?? e.occurredAt) : null,
    updatedAt: e.occurredAt,
  };
  const changes = diffFields(existing, patch).filter((c) => c.field !== 'updatedAt');
  await repo.update({ id: existing.id }, patch);
  await audit.changed('service_ticket', existing.id, changes);
  return { status: 'applied', customerId: existing.customerId, leadId: null };
}

/** A live customer of the company (a person resolving a parked event names one). */
export function liveCustomer(em: EntityManager, companyId: number, id: number) {
  return em.getRepository(Customer).findOneBy({ id, companyId, deletedAt: IsNull() });
}
