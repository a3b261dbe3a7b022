import { IsNull, Not } from 'typeorm';
import type { AppContext } from '../context';
import { Script, ScriptPick } from './script.entities';

/**
 * "How often a send was followed by progress": when a follow-up moves the lead to a later journey node,
 * each sent, not-yet-credited pick on that lead credits its script once. Same transaction as the follow-up.
 */
export function subscribeScriptProgress(app: AppContext): void {
  app.events.on(async (em, emitted) => {
    for (const { event, meta } of emitted) {
      if (event.type !== 'followup.created' || event.leadBefore.journeyNode === event.lead.journeyNode) continue;
      const picks = await em
        .getRepository(ScriptPick)
        .findBy({ companyId: meta.companyId, leadId: event.lead.id, sentAt: Not(IsNull()), progressedAt: IsNull() });
      for (const p of picks) {
        await em.getRepository(ScriptPick).update({ id: p.id }, { progressedAt: meta.at });
        await em
          .createQueryBuilder()
          .update(Script)
          .set({ progressCount: () => 'progressCount + 1' })
          .where({ id: p.scriptId })
          .execute();
      }
    }
  });
}
