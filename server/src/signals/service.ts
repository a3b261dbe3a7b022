import { In, IsNull, LessThan, MoreThanOrEqual, Not, type EntityManager } from 'typeorm';
import { OPEN_LEAD_STATUSES } from '@lifeline/shared';
import { chatMessagesSchema, detectSignals, SIGNAL_HORIZON_HALF_LIVES, type ChatMessageInput, type SignalHit } from '@lifeline/shared/src/signals';
import type { AppContext } from '../context';
import type { CompanySettings } from '../companies/settings';
import type { EventMeta } from '../events/domain-events';
import { settingsOf } from '../metrics/facts';
import { Lead } from '../leads/lead.entity';
import { User } from '../users/user.entity';
import { badRequest, notFound, unauthorized } from '../http/errors';
import { isUniqueViolation } from '../db/tx';
import { insertRow, insertRowsPlain } from '../db/rows';
import { signatureProblem } from '../integrations/signing';
import type { SourceCache } from '../integrations/source-cache';
import { parseInput } from '../http/validate';
import { ChatContact, ChatMessage, LeadSignal, type ChatMessageStatus, type SignalOrigin } from './entities';
import { rescoreLead } from './rescore';

export interface ChatPost {
  code: string;
  rawBody: Buffer;
  timestamp?: string;
  signature?: string;
  requestId?: string;
}

type Tally = Record<ChatMessageStatus | 'duplicate' | 'signals', number>;

/**
 * Live intent signals (docs/signals.md): phrases found in follow-up conclusions, voice transcripts and archived chat
 * messages become lead_signal rows, and the lead is re-scored in the same transaction, so the new score is visible the
 * moment the write is acknowledged.
 */
export class Signals {
  constructor(
    private readonly app: AppContext,
    private readonly sources: SourceCache,
  ) {}

  /** A follow-up's conclusion (and its transcript, for a voice entry) is read for signals in its own transaction. */
  subscribe(): void {
    this.app.events.on(async (em, emitted) => {
      for (const { event, meta } of emitted) {
        if (event.type !== 'followup.created' && event.type !== 'followup.deleted' && event.type !== 'followup.restored') continue;
        const f = event.followup;
        const settings = (meta.companySettings as CompanySettings | undefined) ?? (await settingsOf(em, meta.companyId));
        const origin: SignalOrigin = f.source === 'voice' ? 'voice' : 'followup';
        // A deleted follow-up's signals stop counting; restored, they count again (without a second A-level alarm).
        if (event.type === 'followup.deleted') {
          const gone = await em.getRepository(LeadSignal).delete({ companyId: f.companyId, leadId: f.leadId, origin, originRef: f.id });
          if (gone.affected) await rescoreLead(this.app, em, settings, event.lead, meta);
          continue;
        }
        const hits = detectSignals([f.conclusion, f.transcript].filter(Boolean).join('\n'), settings.signals.classes);
        if (hits.length) await this.apply(em, settings, event.lead, hits, origin, f.id, f.createdAt, meta, event.type === 'followup.created');
      }
    });
  }

  /** Stores each class once per (lead, origin, ref) and re-scores the lead. */
  private async apply(
    em: EntityManager,
    settings: CompanySettings,
    lead: Lead,
    hits: SignalHit[],
    origin: SignalOrigin,
    ref: number,
    at: number,
    meta: EventMeta,
    fresh = true,
  ) {
    await insertRowsPlain(
      em,
      LeadSignal,
      hits.map((h) => ({
        companyId: lead.companyId,
        leadId: lead.id,
        customerId: lead.customerId,
        name: h.name,
        phrase: h.phrase.slice(0, 20),
        points: h.points,
        origin,
        originRef: ref,
        at,
        createdAt: meta.at,
      })),
    );
    await rescoreLead(this.app, em, settings, lead, meta, fresh ? hits : []);
  }

  /** POST /api/chat-messages from the company's archive sidecar: signed with a 会话存档 source's secret. */
  async receiveChat(req: ChatPost) {
    const source = await this.sources.get(req.code);
    if (!source || !source.active || source.kind !== 'chat_archive') throw notFound(`会话存档来源「${req.code}」不存在或已停用`);
    const problem = signatureProblem(source.secret, req.rawBody, req.timestamp, req.signature, this.app.clock.now());
    if (problem) throw unauthorized(problem);
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      throw badRequest('请求体不是合法的 JSON');
    }
    const { messages } = parseInput(chatMessagesSchema, body);
    const run = () => this.app.tx.run((em) => this.store(em, source.companyId, source.id, messages, req.requestId), 'chat.messages');
    try {
      return await run();
    } catch (err) {
      // The same messages posted twice at once: the loser runs again and finds them stored.
      if (isUniqueViolation(err)) return run();
      throw err;
    }
  }

  private async store(em: EntityManager, companyId: number, sourceId: number, messages: ChatMessageInput[], requestId?: string) {
    const now = this.app.clock.now();
    const tally: Tally = { used: 0, no_consent: 0, unmatched: 0, consent: 0, from_rep: 0, duplicate: 0, signals: 0 };
    const seen = new Set(
      (await em.getRepository(ChatMessage).find({ where: { sourceId, msgId: In(messages.map((m) => m.msgId)) }, select: { msgId: true } })).map((m) => m.msgId),
    );
    const fresh = messages.filter((m) => !seen.has(m.msgId) && !!seen.add(m.msgId));
    tally.duplicate = messages.length - fresh.length;
    if (!fresh.length) return tally;
    const parties = [...new Set(fresh.flatMap((m) => [m.from, ...m.to]))];
    const members = await em.getRepository(User).find({ where: { companyId, wecomUserId: In(parties) }, select: { id: true, wecomUserId: true } });
    const memberOf = new Map(members.map((u) => [u.wecomUserId!, u.id]));
    const customerIds = [...new Set(fresh.map((m) => [m.from, ...m.to].find((p) => !memberOf.has(p) && !p.startsWith('wb'))).filter((x): x is string => !!x))];
    const contacts = new Map(
      (customerIds.length ? await em.getRepository(ChatContact).findBy({ companyId, externalUserId: In(customerIds) }) : []).map((c) => [c.externalUserId, c]),
    );
    const settings = await settingsOf(em, companyId);
    const meta: EventMeta = { companyId, actorId: null, at: now, requestId, companySettings: settings };
    for (const m of [...fresh].sort((a, b) => a.time - b.time)) {
      const status = await this.storeOne(em, companyId, sourceId, m, memberOf, contacts, settings, meta);
      tally[status.status]++;
      tally.signals += status.signals;
    }
    return tally;
  }

  private async storeOne(
    em: EntityManager,
    companyId: number,
    sourceId: number,
    m: ChatMessageInput,
    memberOf: Map<string, number>,
    contacts: Map<string, ChatContact>,
    settings: CompanySettings,
    meta: EventMeta,
  ): Promise<{ status: ChatMessageStatus; signals: number }> {
    const externalUserId = [m.from, ...m.to].find((p) => !memberOf.has(p) && !p.startsWith('wb')) ?? null;
    const userId = memberOf.get(m.from) ?? m.to.map((p) => memberOf.get(p)).find((x) => x !== undefined) ?? null;
    const row: Partial<ChatMessage> = {
      companyId,
      sourceId,
      msgId: m.msgId,
      type: m.type,
      externalUserId: externalUserId ?? '',
      userId,
      sentAt: m.time,
      receivedAt: meta.at,
    };
    row.fromCustomer = externalUserId !== null && m.from === externalUserId;
    let contact = externalUserId ? contacts.get(externalUserId) : undefined;
    if (m.type === 'agree' || m.type === 'disagree') {
      if (externalUserId) contacts.set(externalUserId, (contact = await this.setConsent(em, companyId, externalUserId, m.type, m.time, contact, meta.at)));
      await insertRow(em, ChatMessage, { ...row, customerId: contact?.customerId ?? null, leadId: null, status: 'consent', text: null } as ChatMessage);
      return { status: 'consent', signals: 0 };
    }
    // Consent as of when the message was sent: a late batch's older messages from before an agree are not read.
    const agreed = contact?.consent === 'agree' && contact.consentAt !== null && contact.consentAt <= m.time;
    const status: ChatMessageStatus = !externalUserId ? 'from_rep' : !contact?.customerId ? 'unmatched' : !agreed ? 'no_consent' : 'used';
    const lead = status === 'used' ? await this.openLeadOf(em, companyId, contact!.customerId!) : null;
    const keep = status === 'used' && settings.signals.chatRetentionDays > 0;
    const saved = await insertRow(em, ChatMessage, {
      ...row,
      customerId: contact?.customerId ?? null,
      leadId: lead?.id ?? null,
      status,
      text: keep ? (m.text ?? null) : null,
    } as ChatMessage);
    // Only what the customer says is read: a rep quoting a price is not the customer asking for one.
    const hits = lead && row.fromCustomer ? detectSignals(m.text, settings.signals.classes) : [];
    if (lead && hits.length) await this.apply(em, settings, lead, hits, 'chat', saved.id, m.time, meta);
    return { status, signals: hits.length };
  }

  private async setConsent(
    em: EntityManager,
    companyId: number,
    externalUserId: string,
    type: 'agree' | 'disagree',
    at: number,
    contact: ChatContact | undefined,
    now: number,
  ) {
    if (contact) {
      // An older consent message arriving late does not overwrite a newer one.
      if (contact.consentAt === null || contact.consentAt <= at) {
        await em.getRepository(ChatContact).update({ id: contact.id }, { consent: type, consentAt: at, updatedAt: now });
        Object.assign(contact, { consent: type, consentAt: at });
      }
      return contact;
    }
    return insertRow(
      em,
      ChatContact,
      em.getRepository(ChatContact).create({ companyId, externalUserId, customerId: null, consent: type, consentAt: at, createdAt: now, updatedAt: now }),
    );
  }

  /** The customer's newest lead still in play (waiting in a queue, assigned or being followed): the one a chat is about. */
  private openLeadOf(em: EntityManager, companyId: number, customerId: number) {
    return em.getRepository(Lead).findOne({
      where: { companyId, customerId, deletedAt: IsNull(), status: In(['pending', ...OPEN_LEAD_STATUSES]) },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /**
   * Signals fade: leads with a signal younger than the horizon are re-scored (written only when the score moved).
   * Run every few minutes; idempotent, so several processes running it at once only repeat work.
   */
  async refreshFading(): Promise<number> {
    const now = this.app.clock.now();
    const companies: { companyId: number }[] = await this.app.ds.query('SELECT DISTINCT companyId FROM lead_signal WHERE at >= ?', [now - 90 * 86_400_000 * 8]);
    let changed = 0;
    for (const { companyId } of companies) {
      const settings = await settingsOf(this.app.ds.manager, Number(companyId));
      const since = now - (SIGNAL_HORIZON_HALF_LIVES + 1) * settings.signals.halfLifeHours * 3_600_000;
      const ids = (
        await this.app.ds.getRepository(LeadSignal).find({ where: { companyId: Number(companyId), at: MoreThanOrEqual(since) }, select: { leadId: true } })
      ).map((r) => r.leadId);
      for (const leadId of [...new Set(ids)]) {
        changed += await this.app.tx.run(async (em) => {
          const lead = await em.getRepository(Lead).findOneBy({ id: leadId, companyId: Number(companyId), deletedAt: IsNull() });
          if (!lead) return 0;
          const moved = await rescoreLead(this.app, em, settings, lead, { companyId: lead.companyId, actorId: null, at: now, companySettings: settings });
          return moved ? 1 : 0;
        });
      }
    }
    return changed;
  }

  /** Chat text older than the company's retention is erased (the signal rows keep only the phrase that matched). */
  async purgeChatText(): Promise<number> {
    const now = this.app.clock.now();
    const companies: { companyId: number }[] = await this.app.ds.query('SELECT DISTINCT companyId FROM chat_message WHERE text IS NOT NULL');
    let purged = 0;
    for (const { companyId } of companies) {
      const settings = await settingsOf(this.app.ds.manager, Number(companyId));
      const before = now - settings.signals.chatRetentionDays * 86_400_000;
      const res = await this.app.ds
        .getRepository(ChatMessage)
        .update({ companyId: Number(companyId), sentAt: LessThan(before), text: Not(IsNull()) }, { text: null });
      purged += res.affected ?? 0;
    }
    return purged;
  }
}
