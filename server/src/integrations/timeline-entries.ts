import { IsNull, type EntityManager } from 'typeorm';
import { jsonOrText } from '../http/json-text';
import { EventSource, InboundEvent, LeadRevenue, ServiceTicket } from './entities';

export interface ExternalEntry {
  at: number;
  kind: 'revenue' | 'service' | 'event';
  text: string;
}

const yuan = (fen: number) => `¥${(fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 0, maximumFractionDigits: 2 })}`;

/** What other systems said about a lead and its customer: payments for the lead, the customer's tickets and events. */
export async function externalTimelineEntries(em: EntityManager, lead: { id: number; companyId: number; customerId: number }): Promise<ExternalEntry[]> {
  const { companyId, customerId } = lead;
  const [payments, tickets, events, sources] = await Promise.all([
    em.getRepository(LeadRevenue).find({ where: { companyId, leadId: lead.id, deletedAt: IsNull() }, order: { paidAt: 'ASC' } }),
    em.getRepository(ServiceTicket).find({ where: { companyId, customerId }, order: { openedAt: 'ASC' } }),
    em.getRepository(InboundEvent).find({ where: { companyId, customerId, kind: 'custom', status: 'applied' }, order: { occurredAt: 'ASC' }, take: 100 }),
    em.getRepository(EventSource).find({ select: { id: true, name: true }, where: { companyId } }),
  ]);
  const out: ExternalEntry[] = [];
  for (const p of payments) out.push({ at: p.paidAt, kind: 'revenue', text: `回款 ${yuan(p.amountFen)}${p.contractNo ? `（合同 ${p.contractNo}）` : ''}` });
  for (const t of tickets) {
    const what = `售后工单 ${t.ticketId}「${t.category}」${t.summary ? `：${t.summary}` : ''}`;
    out.push({ at: t.openedAt, kind: 'service', text: `${what} 已受理${t.fault ? '（故障）' : ''}` });
    if (t.closedAt !== null) out.push({ at: t.closedAt, kind: 'service', text: `售后工单 ${t.ticketId} 已关闭` });
  }
  for (const e of events) {
    const parsed = jsonOrText(e.payload);
    const payload = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    const source = sources.find((s) => s.id === e.sourceId)?.name ?? '业务系统';
    out.push({ at: e.occurredAt, kind: 'event', text: `${source}：${String(payload.type ?? payload.event ?? '业务事件').slice(0, 32)}` });
  }
  return out;
}
