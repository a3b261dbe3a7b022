import { In, MoreThanOrEqual, type EntityManager } from 'typeorm';
import { chinaDayOf, conclusionKey, entryPoints, type EarlierEntry } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { CompanySettings } from '../companies/settings';
import { writeAudits } from '../audit/audit.service';
import { insertRowsPlain } from '../db/rows';
import { settingsOf } from '../metrics/facts';
import type { Followup } from '../followups/followup.entity';
import { User } from '../users/user.entity';
import { EntryPoints } from './entities';

/**
 * Each follow-up's leaderboard points, decided and stored in the follow-up's own transaction: compared with the
 * author's earlier entries (the ledger), so a group of saves by one rep is judged in order, as if saved one by one.
 * The reasons are audited on the follow-up (entity entry_points), so "why 0 points" has an answer.
 */
export function subscribeEntryPoints(app: AppContext): void {
  app.events.on(async (em, emitted) => {
    const created = emitted.filter((e) => e.event.type === 'followup.created');
    if (created.length) {
      const byCompany = new Map<number, { f: Followup; settings?: object; requestId?: string }[]>();
      for (const { event, meta } of created) {
        if (event.type !== 'followup.created') continue;
        byCompany.set(meta.companyId, [
          ...(byCompany.get(meta.companyId) ?? []),
          { f: event.followup, settings: meta.companySettings, requestId: meta.requestId },
        ]);
      }
      for (const [companyId, items] of byCompany) {
        const settings = (items[0].settings as CompanySettings | undefined) ?? (await settingsOf(em, companyId));
        await score(em, companyId, items, settings);
      }
    }
    for (const { event, meta } of emitted) {
      if (event.type === 'followup.deleted' || event.type === 'followup.restored') {
        await em.getRepository(EntryPoints).update({ followupId: event.followup.id }, { voidedAt: event.type === 'followup.deleted' ? meta.at : null });
      }
    }
  });
}

async function score(em: EntityManager, companyId: number, items: { f: Followup; requestId?: string }[], settings: CompanySettings) {
  const rules = settings.leaderboard;
  const authors = [...new Set(items.map((i) => i.f.authorId))];
  const since = Math.min(...items.map((i) => i.f.createdAt)) - Math.max(rules.copyWindowDays * 86_400_000, rules.cooldownMinutes * 60_000);
  const earlierRows = await em.getRepository(EntryPoints).find({
    // Deleted entries too: deleting an entry and writing it again (then restoring the first) earns nothing twice.
    where: { companyId, authorId: In(authors), at: MoreThanOrEqual(since) },
    select: { authorId: true, leadId: true, at: true, conclusionKey: true },
  });
  const earlier = new Map<number, EarlierEntry[]>(authors.map((a) => [a, earlierRows.filter((r) => r.authorId === a)]));
  const units = new Map(
    (await em.getRepository(User).find({ where: { companyId, id: In(authors) }, select: { id: true, orgUnitId: true } })).map((u) => [u.id, u.orgUnitId]),
  );
  const rows: Partial<EntryPoints>[] = [];
  for (const { f } of [...items].sort((a, b) => a.f.createdAt - b.f.createdAt || a.f.id - b.f.id)) {
    const mine = earlier.get(f.authorId)!;
    const s = entryPoints(
      { leadId: f.leadId, at: f.createdAt, action: f.action, conclusion: f.conclusion, hasNextStep: f.nextStepAt !== null, fromVoice: f.source === 'voice' },
      mine,
      rules,
      settings.quickPhrases,
    );
    const key = conclusionKey(f.conclusion).slice(0, 100);
    mine.push({ leadId: f.leadId, at: f.createdAt, conclusionKey: key });
    rows.push({
      companyId,
      followupId: f.id,
      authorId: f.authorId,
      orgUnitId: units.get(f.authorId) ?? null,
      leadId: f.leadId,
      points: s.points,
      reasons: s.reasons,
      conclusionKey: key,
      day: chinaDayOf(f.createdAt),
      at: f.createdAt,
      voidedAt: null,
    });
  }
  await insertRowsPlain(em, EntryPoints, rows);
  await writeAudits(
    em,
    items.map(({ f, requestId }) => {
      const row = rows.find((r) => r.followupId === f.id)!;
      return {
        ctx: { companyId, actorId: null, requestId, at: f.createdAt },
        records: [
          {
            entity: 'entry_points',
            entityId: f.id,
            action: 'create' as const,
            changes: [{ field: 'points', before: null, after: { points: row.points, reasons: row.reasons } }],
          },
        ],
      };
    }),
  );
}
