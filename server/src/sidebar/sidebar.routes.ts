import Router from '@koa/router';
import type { AppContext } from '../context';
import { actorOf } from '../auth/auth.middleware';
import { parseInput } from '../http/validate';
import { User } from '../users/user.entity';
import { externalContact } from '../platforms/wecom/contacts';
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
    const me = await app.ds.getRepository(User).findOneByOrFail({ id: actor.id });
    ctx.body = await externalContact(api, id, me.wecomUserId);
  });

  r.post('/api/sidebar/voice-draft', async (ctx) => {
    const actor = actorOf(ctx);
    const { transcript } = parseInput(voiceDraftSchema, ctx.request.body ?? {});
    ctx.body = { transcript, draft: await draftFromTranscript(app, llm, actor, transcript, ctx.state.log) };
  });
  return r;
}
