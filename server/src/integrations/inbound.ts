import { mapEvent, type MappedEvent } from '@lifeline/shared/src/integrations';
import type { AppContext } from '../context';
import { jsonOrText } from '../http/json-text';
import type { Actor } from '../auth/actor';
import { Audit } from '../audit/audit.service';
import { AppError, badRequest, conflict, notFound, unauthorized } from '../http/errors';
import { isUniqueViolation } from '../db/tx';
import { insertRow } from '../db/rows';
import { forViewer } from '../customers/phone-visibility';
import { parseLossless } from '../intake/oceanengine';
import { applyEvent, liveCustomer, type ApplyResult } from './apply';
import { EventSource, InboundEvent } from './entities';
import { sha256Hex, signatureProblem } from './signing';

export interface InboundRequest {
  code: string;
  rawBody: Buffer;
  timestamp?: string;
  signature?: string;
  requestId?: string;
}

const PAGE = 50;

/**
 * Business events from other systems (docs/integrations.md): authenticated per source, archived once per event id,
 * applied in the same transaction as the archive row, or parked for a person when the customer or lead is unknown.
 */
export class InboundEvents {
  constructor(private readonly app: AppContext) {}

  async receive(req: InboundRequest) {
    const source = await this.app.ds.getRepository(EventSource).findOneBy({ code: req.code });
    if (!source || !source.active) throw notFound(`事件来源「${req.code}」不存在或已停用`);
    const now = this.app.clock.now();
    const problem = signatureProblem(source.secret, req.rawBody, req.timestamp, req.signature, now);
    if (problem) throw unauthorized(problem);
    const raw = req.rawBody.toString('utf8');
    let payload: unknown;
    try {
      payload = parseLossless(raw);
    } catch {
      throw badRequest('请求体不是合法的 JSON');
    }
    const mapped = mapEvent(source.kind, payload, source.mapping, now);
    if ('error' in mapped) throw badRequest(mapped.error);
    const payloadHash = sha256Hex(req.rawBody);
    try {
      return { replayed: false, body: await this.archiveAndApply(source, mapped, raw, payloadHash, req.requestId) };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const seen = await this.app.ds.getRepository(InboundEvent).findOneByOrFail({ sourceId: source.id, eventId: mapped.eventId });
      if (seen.payloadHash !== payloadHash) throw conflict(`事件编号 ${mapped.eventId} 已用于另一条内容不同的事件；每个事件请用新的编号`);
      return { replayed: true, body: outcomeView(seen) };
    }
  }

  private archiveAndApply(source: EventSource, e: MappedEvent, raw: string, payloadHash: string, requestId?: string) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = await insertRow(
        em,
        InboundEvent,
        em.getRepository(InboundEvent).create({
          companyId: source.companyId,
          sourceId: source.id,
          eventId: e.eventId,
          kind: source.kind,
          payloadHash,
          payload: raw,
          status: 'parked',
          reason: null,
          customerId: null,
          leadId: null,
          occurredAt: e.kind === 'finance' ? e.paidAt : e.occurredAt,
          receivedAt: now,
          resolvedAt: null,
          resolvedBy: null,
        }),
      );
      const result = await applyEvent(this.app, em, source, row, e, { companyId: source.companyId, actorId: null, requestId, at: now });
      Object.assign(row, rowPatch(result, now));
      await em.getRepository(InboundEvent).update({ id: row.id }, rowPatch(result, now));
      return { ...outcomeView(row), ...(result.status === 'applied' && result.note ? { note: result.note } : {}) };
    }, 'inbound.event');
  }

  async list(actor: Actor, q: { status?: InboundEvent['status']; sourceId?: number; page: number }) {
    const where = { companyId: actor.companyId, ...(q.status ? { status: q.status } : {}), ...(q.sourceId ? { sourceId: q.sourceId } : {}) };
    const [rows, total] = await this.app.ds
      .getRepository(InboundEvent)
      .findAndCount({ where, order: { receivedAt: 'DESC', id: 'DESC' }, skip: (q.page - 1) * PAGE, take: PAGE });
    const sources = await this.app.ds.getRepository(EventSource).findBy({ companyId: actor.companyId });
    const items = rows.map((r) => ({ ...outcomeView(r), source: sources.find((s) => s.id === r.sourceId)?.name ?? null, payload: jsonOrText(r.payload) }));
    return { items: forViewer(actor, items), total, page: q.page, pageSize: PAGE };
  }

  /** A person names the customer (and lead) of a parked event: it is applied now, or stays parked with the new reason. */
  async resolve(actor: Actor, id: number, body: { customerId: number; leadId?: number }, requestId?: string) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = await this.parked(em, actor, id);
      if (!(await liveCustomer(em, actor.companyId, body.customerId))) throw notFound(`客户不存在或已删除（ID ${body.customerId}）`);
      const source = await em.getRepository(EventSource).findOneByOrFail({ id: row.sourceId, companyId: actor.companyId });
      const mapped = mapEvent(source.kind, parseLossless(row.payload), source.mapping, row.receivedAt);
      if ('error' in mapped) throw badRequest(`按来源当前的映射，这条事件无法解析：${mapped.error}`);
      const e = { ...mapped, customerId: body.customerId, phone: null, ...(mapped.kind === 'finance' && body.leadId ? { leadId: body.leadId } : {}) };
      const result = await applyEvent(this.app, em, source, row, e, { companyId: actor.companyId, actorId: actor.id, requestId, at: now });
      if (result.status === 'parked') throw new AppError(409, 'still_parked', result.reason);
      const patch = { ...rowPatch(result, now), resolvedBy: actor.id };
      await em.getRepository(InboundEvent).update({ id }, patch);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('inbound_event', id, [
        { field: 'status', before: 'parked', after: 'applied' },
        { field: 'customerId', before: row.customerId, after: result.customerId },
      ]);
      return outcomeView(Object.assign(row, patch));
    });
  }

  async dismiss(actor: Actor, id: number, reason: string, requestId?: string) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = await this.parked(em, actor, id);
      const patch = { status: 'dismissed' as const, reason: `已忽略：${reason}`, resolvedAt: now, resolvedBy: actor.id };
      await em.getRepository(InboundEvent).update({ id }, patch);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('inbound_event', id, [
        { field: 'status', before: row.status, after: 'dismissed' },
        { field: 'reason', before: row.reason, after: patch.reason },
      ]);
      return outcomeView(Object.assign(row, patch));
    });
  }

  private async parked(em: import('typeorm').EntityManager, actor: Actor, id: number) {
    const row = await em.getRepository(InboundEvent).findOneBy({ id, companyId: actor.companyId });
    if (!row) throw notFound(`事件不存在（ID ${id}）`);
    if (row.status !== 'parked') throw conflict(`这条事件已${row.status === 'applied' ? '处理' : '忽略'}，无需再处理`);
    return row;
  }
}

function rowPatch(result: ApplyResult, now: number): Partial<InboundEvent> {
  return result.status === 'applied'
    ? { status: 'applied', reason: result.note ?? null, customerId: result.customerId, leadId: result.leadId, resolvedAt: now }
    : { status: 'parked', reason: result.reason, customerId: result.customerId ?? null };
}

function outcomeView(r: InboundEvent) {
  return {
    id: r.id,
    eventId: r.eventId,
    kind: r.kind,
    status: r.status,
    reason: r.reason,
    customerId: r.customerId,
    leadId: r.leadId,
    occurredAt: r.occurredAt,
    receivedAt: r.receivedAt,
  };
}
