import { mapEvent, type MappedEvent } from '@lifeline/shared/src/integrations';
import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { jsonOrText } from '../http/json-text';
import type { Actor } from '../auth/actor';
import { Audit } from '../audit/audit.service';
import { AppError, badRequest, conflict, notFound, unauthorized } from '../http/errors';
import { isUniqueViolation } from '../db/tx';
import { insertRow } from '../db/rows';
import { GroupCommit, type Outcome } from '../db/group-commit';
import { forViewer } from '../customers/phone-visibility';
import { parseLossless } from '../intake/oceanengine';
import { applyEvent, liveCustomer, type ApplyResult } from './apply';
import { EventSource, InboundEvent } from './entities';
import { sha256Hex, signatureProblem } from './signing';
import type { SourceCache } from './source-cache';

/** An authenticated, mapped event on its way in. */
interface Taken {
  source: EventSource;
  e: MappedEvent;
  raw: string;
  payloadHash: string;
  requestId?: string;
}

type EventOutcome = ReturnType<typeof outcomeView> & { note?: string };

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
  /**
   * Events that arrive while the database is busy share a transaction (db/group-commit.ts, as follow-up saves do):
   * one START/COMMIT and one log flush for the batch. Events of one source event id, ticket or customer never share
   * one or run at once; a batch that fails as a whole is run again event by event.
   */
  private readonly group: GroupCommit<Taken, EventOutcome>;

  constructor(
    private readonly app: AppContext,
    private readonly sources: SourceCache,
  ) {
    this.group = new GroupCommit<Taken, EventOutcome>({
      maxBatch: 32,
      slots: app.config.followupGroupCommit?.slots ?? 2,
      keys: ({ source, e }) => [
        `event:${source.id}:${e.eventId}`,
        `customer:${source.companyId}:${e.customerId ?? e.phone}`,
        ...(e.kind === 'after_sales' ? [`ticket:${source.id}:${e.ticketId}`] : []),
      ],
      alone: (t) => this.app.tx.run((em) => this.applyIn(em, t), 'inbound.event'),
      together: (items) =>
        this.app.tx.run(async (em) => {
          const out: Outcome<EventOutcome>[] = [];
          for (const t of items) out.push({ value: await this.applyIn(em, t) });
          return out;
        }, 'inbound.event'),
    });
  }

  async receive(req: InboundRequest) {
    const source = await this.sources.get(req.code);
    if (!source || !source.active) throw notFound(`事件来源「${req.code}」不存在或已停用`);
    const now = this.app.clock.now();
    const problem = signatureProblem(source.secret, req.rawBody, req.timestamp, req.signature, now);
    if (problem) throw unauthorized(problem);
    const raw = req.rawBody.toString('utf8');
    let payload: unknown;
    try {
      // Only a body with an integer of 16+ digits needs the slower lossless parser (ids beyond 2^53).
      payload = /\d{16}/.test(raw) ? parseLossless(raw) : JSON.parse(raw);
    } catch {
      throw badRequest('请求体不是合法的 JSON');
    }
    const mapped = mapEvent(source.kind, payload, source.mapping, now);
    if ('error' in mapped) throw badRequest(mapped.error);
    const payloadHash = sha256Hex(req.rawBody);
    try {
      return { replayed: false, body: await this.group.submit({ source, e: mapped, raw, payloadHash, requestId: req.requestId }) };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const seen = await this.app.ds.getRepository(InboundEvent).findOneByOrFail({ sourceId: source.id, eventId: mapped.eventId });
      if (seen.payloadHash !== payloadHash) throw conflict(`事件编号 ${mapped.eventId} 已用于另一条内容不同的事件；每个事件请用新的编号`);
      return { replayed: true, body: outcomeView(seen) };
    }
  }

  /**
   * The archive row and the event's effect in one transaction. A payment's revenue row names its archive row, so that
   * row comes first; other kinds are applied first and archived with their outcome in one INSERT (one statement less
   * on the hot path). A second copy of the event fails on the archive's unique key and rolls the effect back with it.
   */
  private async applyIn(em: EntityManager, t: Taken): Promise<EventOutcome> {
    const { source, e, raw, payloadHash, requestId } = t;
    const now = this.app.clock.now();
    const audit = { companyId: source.companyId, actorId: null, requestId, at: now };
    const archive = (patch: Partial<InboundEvent>) =>
      insertRow(
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
          ...patch,
        }),
      );
    if (e.kind !== 'finance') {
      const result = await applyEvent(this.app, em, source, null, e, audit);
      return this.outcome(await archive(rowPatch(result, now)), result);
    }
    const row = await archive({});
    const result = await applyEvent(this.app, em, source, row, e, audit);
    await em.getRepository(InboundEvent).update({ id: row.id }, rowPatch(result, now));
    return this.outcome(Object.assign(row, rowPatch(result, now)), result);
  }

  private outcome(row: InboundEvent, result: ApplyResult) {
    return { ...outcomeView(row), ...(result.status === 'applied' && result.note ? { note: result.note } : {}) };
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

  private async parked(em: EntityManager, actor: Actor, id: number) {
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
