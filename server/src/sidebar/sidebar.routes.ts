import Router from '@koa/router';
import { maskPhone } from '@lifeline/shared';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { User } from '../users/user.entity';
import { externalContact } from '../platforms/wecom/contacts';
import { linkChatContact } from '../signals/contacts';
import { canSeePhone } from '../customers/phone-visibility';
import { Lead } from '../leads/lead.entity';
import { applyLeadScope } from '../leads/lead-scope';
import type { Actor } from '../auth/actor';
import type { LlmClient } from '../llm';
import type { SidebarPlatforms } from './platform-clients';
import { draftFromTranscript } from './draft.service';
import { externalUserIdSchema, signatureQuerySchema, voiceDraftSchema } from './schemas';

/** Signed-in sidebar calls: JS-SDK signatures, the chat's external contact (phone autofill), transcript → draft. */
export function sidebarRoutes(app: AppContext, platforms: SidebarPlatforms, llm: LlmClient | null): Router {
  const r = new Router();

  r.get('/api/wecom/jsapi-signature', async (ctx) => {
    actorOf(ctx);
    const { url } = parseInput(signatureQuerySchema, ctx.query);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await platforms.requireWecom().jsapi.sign(url);
  });

  r.get('/api/wecom/external-contact/:externalUserId', async (ctx) => {
    const actor = actorOf(ctx);
    const id = parseInput(externalUserIdSchema, ctx.params.externalUserId);
    const { api } = platforms.requireWecom();
    const me = await app.ds.getRepository(User).findOneByOrFail({ id: actor.id, companyId: actor.companyId });
    const { ownPhones, ...contact } = await externalContact(api, id, me.wecomUserId);
    await linkChatContact(app, actor.companyId, id, contact.phones); // the archive's messages of this chat find the customer
    ctx.body = { ...contact, phones: await visiblePhones(app, actor, contact.phones, ownPhones) };
  });

  r.post('/api/sidebar/voice-draft', async (ctx) => {
    const actor = actorOf(ctx);
    const { transcript } = parseInput(voiceDraftSchema, ctx.request.body ?? {});
    ctx.body = { transcript, draft: await draftFromTranscript(app, llm, actor, transcript, ctx.state.log) };
  });
  return r;
}

/**
 * Remark mobiles as the masking rule allows: masked for roles that do not see phones; in full for company-wide roles
 * that do. A scoped role (a rep) gets only what is theirs: the numbers they recorded on the contact themselves, and
 * numbers of customers they may see. A colleague's remark (a private number, a customer of theirs, a number that is
 * nobody's customer yet) stays out; so does a number of a colleague's customer, even in the rep's own remark.
 */
async function visiblePhones(app: AppContext, actor: Actor, phones: string[], ownPhones: string[]): Promise<string[]> {
  if (!phones.length) return phones;
  if (!canSeePhone(actor)) return phones.map(maskPhone);
  if (!actor.scope) return phones;
  const known: { phone: string }[] = await app.ds.query(`SELECT phone FROM customer WHERE companyId = ? AND phone IN (${phones.map(() => '?').join(',')})`, [
    actor.companyId,
    ...phones,
  ]);
  const mine = new Set<string>();
  if (known.length) {
    const qb = app.ds
      .getRepository(Lead)
      .createQueryBuilder('lead')
      .innerJoin('customer', 'c', 'c.id = lead.customerId')
      .select('c.phone', 'phone')
      .where('c.phone IN (:...phones)', { phones: known.map((k) => k.phone) })
      .andWhere('lead.deletedAt IS NULL');
    for (const r of await applyLeadScope(qb, actor).getRawMany<{ phone: string }>()) mine.add(r.phone);
  }
  const others = new Set(known.map((k) => k.phone).filter((p) => !mine.has(p)));
  return phones.filter((p) => mine.has(p) || (ownPhones.includes(p) && !others.has(p)));
}
