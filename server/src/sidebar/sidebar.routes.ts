import Router from '@koa/router';
import { maskPhone } from '@lifeline/shared';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { User } from '../users/user.entity';
import { externalContact } from '../platforms/wecom/contacts';
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
    const contact = await externalContact(api, id, me.wecomUserId);
    ctx.body = { ...contact, phones: await visiblePhones(app, actor, contact.phones) };
  });

  r.post('/api/sidebar/voice-draft', async (ctx) => {
    const actor = actorOf(ctx);
    const { transcript } = parseInput(voiceDraftSchema, ctx.request.body ?? {});
    ctx.body = { transcript, draft: await draftFromTranscript(app, llm, actor, transcript, ctx.state.log) };
  });
  return r;
}

/**
 * Remark mobiles as the masking rule allows: masked for roles that do not see phones; for the others, a number
 * that belongs to a customer of the company only when that customer is theirs to see (another rep's remark
 * mobile must not hand a rep a colleague's customer). A number that is nobody's customer yet stays, for autofill.
 */
async function visiblePhones(app: AppContext, actor: Actor, phones: string[]): Promise<string[]> {
  if (!phones.length) return phones;
  if (!canSeePhone(actor)) return phones.map(maskPhone);
  if (!actor.scope) return phones;
  const known: { phone: string }[] = await app.ds.query(
    `SELECT phone FROM customer WHERE companyId = ? AND phone IN (${phones.map(() => '?').join(',')})`, [actor.companyId, ...phones],
  );
  if (!known.length) return phones;
  const qb = app.ds.getRepository(Lead).createQueryBuilder('lead').innerJoin('customer', 'c', 'c.id = lead.customerId')
    .select('c.phone', 'phone').where('c.phone IN (:...phones)', { phones: known.map((k) => k.phone) }).andWhere('lead.deletedAt IS NULL');
  const mine = new Set((await applyLeadScope(qb, actor).getRawMany<{ phone: string }>()).map((r) => r.phone));
  const others = new Set(known.map((k) => k.phone).filter((p) => !mine.has(p)));
  return phones.filter((p) => !others.has(p));
}
