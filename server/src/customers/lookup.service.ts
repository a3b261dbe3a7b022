import { In, IsNull } from 'typeorm';
import { notFound } from '../http/errors';
import { describeScore, parsePhone, scoreLevelOf } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Followup } from '../followups/followup.entity';
import { Lead } from '../leads/lead.entity';
import { canSeeLead } from '../leads/lead-scope';
import { User } from '../users/user.entity';
import { Customer } from './customer.entity';
import { customerView } from './customer.view';
import { recordConversation } from '../metrics/conversations';
import { customerHealthOf, serviceTicketsOf } from '../integrations/external-facts';
import { canSeePhone, forViewer, maskPhonesInText } from './phone-visibility';

/**
 * Phone → who is this? Normalised and validated number, offline attribution, and — before anything is
 * saved — the existing customer with their last 3 interactions, so a rep never creates a duplicate.
 */
export async function lookupPhone(app: AppContext, actor: Actor, raw: string) {
  const parsed = parsePhone(raw);
  const base = {
    input: parsed.input,
    normalized: parsed.normalized,
    valid: parsed.valid,
    masked: parsed.masked,
    error: parsed.error ?? null,
  };
  if (!parsed.valid) return { ...base, attribution: null, customer: null };

  const attribution = app.attribution.lookup(parsed.normalized);
  const found = await app.ds.getRepository(Customer).findOneBy({ companyId: actor.companyId, phone: parsed.normalized });
  if (!found || found.deletedAt) return { ...base, attribution, customer: null };
  const customer = await knownCustomer(app, actor, found);
  // The number echoed back names a customer: masked like them for roles that do not see phones, and for a rep
  // when the customer is someone else's.
  const echo = canSeePhone(actor) && customer.visible ? base : { ...base, input: maskPhonesInText(base.input), normalized: base.masked };
  return { ...echo, attribution, customer };
}

/**
 * The customer of a lead the actor can see, in the same shape as a phone lookup (the number masked unless the role
 * sees phones), with that lead first so the form writes to it. 404 for a lead out of scope, as everywhere.
 */
export async function lookupLead(app: AppContext, actor: Actor, leadId: number) {
  const lead = await app.ds.getRepository(Lead).findOneBy({ id: leadId, companyId: actor.companyId, deletedAt: IsNull() });
  if (!lead || !canSeeLead(actor, lead)) throw notFound('线索不存在或已删除');
  const found = await app.ds.getRepository(Customer).findOneBy({ id: lead.customerId, companyId: actor.companyId, deletedAt: IsNull() });
  if (!found) throw notFound('客户不存在或已删除');
  const parsed = parsePhone(found.phone);
  const customer = await knownCustomer(app, actor, found);
  if (customer.visible) customer.leads.sort((a, b) => Number(b.id === leadId) - Number(a.id === leadId));
  const shown = canSeePhone(actor) ? parsed.normalized : parsed.masked;
  return { input: shown, normalized: shown, valid: true, masked: parsed.masked, error: null, attribution: app.attribution.lookup(parsed.normalized), customer };
}

/** A known customer as this actor may see them: whose they are, or their profile and last 3 interactions. */
async function knownCustomer(app: AppContext, actor: Actor, customer: Customer) {
  const leads = await app.ds.getRepository(Lead).find({
    where: { companyId: actor.companyId, customerId: customer.id },
    order: { createdAt: 'DESC' },
  });
  const live = leads.filter((l) => l.deletedAt === null);
  const visible = live.filter((l) => canSeeLead(actor, l));
  const ownerIds = [...new Set(live.flatMap((l) => [l.ownerId, l.coOwnerId]).filter((x): x is number => x !== null))];
  const owners = ownerIds.length
    ? await app.ds.getRepository(User).find({ select: { id: true, name: true }, where: { companyId: actor.companyId, id: In(ownerIds) } })
    : [];
  const ownerName = (id: number | null) => owners.find((o) => o.id === id)?.name ?? null;

  if (!visible.length) {
    // Someone else's customer: say it exists and whose it is (so nobody duplicates it), reveal nothing else.
    return { id: customer.id, visible: false as const, name: customer.name, owners: [...new Set(live.map((l) => ownerName(l.ownerId)).filter(Boolean))] };
  }

  // A rep opening this customer's chat in the sidebar is a conversation (entry rate counts them).
  if (actor.role === 'rep') {
    await app.tx.run((em) =>
      recordConversation(em, { companyId: actor.companyId, repId: actor.id, customerId: customer.id, at: app.clock.now(), source: 'sidebar' }, app.clock.now()),
    );
  }

  const recent = await app.ds.getRepository(Followup).find({
    where: { companyId: actor.companyId, customerId: customer.id, leadId: In(visible.map((l) => l.id)) },
    order: { createdAt: 'DESC', id: 'DESC' },
    take: 10,
  });
  const authorIds = [...new Set(recent.map((f) => f.authorId))];
  const authors = authorIds.length
    ? await app.ds.getRepository(User).find({ select: { id: true, name: true }, where: { companyId: actor.companyId, id: In(authorIds) } })
    : [];
  const lastInteractions = recent
    .filter((f) => f.deletedAt === null)
    .slice(0, 3)
    .map((f) => ({
      followupId: f.id,
      leadId: f.leadId,
      at: f.createdAt,
      action: f.action,
      conclusion: f.conclusion,
      nextStepAt: f.nextStepAt,
      nextStepAction: f.nextStepAction,
      authorName: authors.find((a) => a.id === f.authorId)?.name ?? null,
    }));
  const lead = visible[0];
  const now = app.clock.now();
  const [health, tickets] = await Promise.all([
    customerHealthOf(app.ds.manager, actor.companyId, customer.id, now),
    serviceTicketsOf(app.ds.manager, actor.companyId, customer.id, 5),
  ]);
  return {
    ...customerView(actor, customer),
    visible: true as const,
    health,
    openTickets: tickets.filter((t) => t.status === 'open'),
    leads: visible.map((l) => ({
      id: l.id,
      channel: l.channel,
      status: l.status,
      journeyNode: l.journeyNode,
      score: l.score,
      scoreLevel: scoreLevelOf(l.score, actor.settings.levelA),
      ownerId: l.ownerId,
      ownerName: ownerName(l.ownerId),
      coOwnerId: l.coOwnerId,
      coOwnerName: ownerName(l.coOwnerId),
      createdAt: l.createdAt,
    })),
    channel: lead.channel,
    journeyNode: lead.journeyNode,
    score: lead.score,
    scoreLevel: scoreLevelOf(lead.score, actor.settings.levelA),
    /** "高三 +25, 询问价格 +15，10分钟前": static weights and live intent signals (docs/signals.md). */
    scoreExplained: describeScore(lead.scoreBreakdown ?? [], now),
    lastInteractions: forViewer(actor, lastInteractions),
  };
}
