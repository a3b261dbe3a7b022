import { missCurves, type MissHistoryLead } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { MissModel } from './miss-model.entity';
import { companyAlarmSettings } from './timers';
import { AlarmSettingsService } from './settings.service';
import { logger } from '../logger';

const DAY = 86_400_000;
/** History used: leads 30 to 365 days old (old enough to have signed within the 30-day window). */
const HISTORY_FROM_DAYS = 365;
const HISTORY_TO_DAYS = 30;
/** Relearned at most this often per company by the periodic check. */
const RELEARN_MS = DAY;

/**
 * Learns a company's early-warning hours from its own history (shared/src/alarms/miss-model.ts): per grade, the chance to
 * sign (within 30 days) of leads still untouched after h hours; the warning moves to the first h where it falls below
 * `missRatio` of the grade's baseline. Grades without enough history keep the fixed rule. The model is stored for the
 * dashboards; changed hours are written to the alarm settings (audited) and every open lead's timers re-armed.
 */
export async function learnMissModel(app: AppContext, companyId: number) {
  const now = app.clock.now();
  const rows: { createdAt: string | number; firstFollowupAt: string | number | null; signedAt: string | number | null; grade: string }[] = await app.ds.query(
    `SELECT l.createdAt, l.firstFollowupAt, l.signedAt, c.grade FROM \`lead\` l JOIN customer c ON c.id = l.customerId
      WHERE l.companyId = ? AND l.deletedAt IS NULL AND l.createdAt BETWEEN ? AND ? AND c.grade IS NOT NULL`,
    [companyId, now - HISTORY_FROM_DAYS * DAY, now - HISTORY_TO_DAYS * DAY],
  );
  const history: MissHistoryLead[] = rows.map((r) => {
    const createdAt = Number(r.createdAt);
    const signedAt = r.signedAt === null ? null : Number(r.signedAt);
    return {
      segment: r.grade,
      createdAt,
      firstFollowupAt: r.firstFollowupAt === null ? null : Number(r.firstFollowupAt),
      signed: signedAt !== null && signedAt - createdAt <= 30 * DAY,
    };
  });
  const s = await companyAlarmSettings(app.ds.manager, companyId);
  const curves = missCurves(history, s.missRatio);
  const learned = Object.fromEntries(curves.filter((c) => c.warnHours !== null && c.warnHours < s.noFollowupHours).map((c) => [c.segment, c.warnHours!]));
  const row = { companyId, leads: history.length, curves, learned, computedAt: now };
  // Upsert on the company's unique key: two learnings at once (an admin's click and the daily run) both end well.
  await app.ds.getRepository(MissModel).upsert(row, ['companyId']);
  const changed = await new AlarmSettingsService(app).saveLearned(companyId, learned);
  return { ...row, changed };
}

/** The periodic check: every company whose model is missing or older than a day (one process doing it twice is harmless). */
export async function relearnDue(app: AppContext): Promise<number> {
  const now = app.clock.now();
  const companies: { id: number | string }[] = await app.ds.query(
    'SELECT c.id FROM company c LEFT JOIN miss_model m ON m.companyId = c.id WHERE m.id IS NULL OR m.computedAt < ?',
    [now - RELEARN_MS],
  );
  let learned = 0;
  for (const c of companies) {
    // One company's failure does not hold up the others until the next run.
    try {
      await learnMissModel(app, Number(c.id));
      learned++;
    } catch (err) {
      logger.error({ err, companyId: Number(c.id) }, 'miss model learning failed for a company');
    }
  }
  return learned;
}

/** GET /api/alarms/miss-model: the curves and the warning hour of each grade, learned or fixed. */
export async function missModelView(app: AppContext, actor: Actor) {
  const model = await app.ds.getRepository(MissModel).findOneBy({ companyId: actor.companyId });
  const s = await companyAlarmSettings(app.ds.manager, actor.companyId);
  return {
    computedAt: model?.computedAt ?? null,
    leads: model?.leads ?? 0,
    missRatio: s.missRatio,
    curves: model?.curves ?? [],
    warnings: [
      ...Object.entries(s.learnedRiskHours).map(([grade, hours]) => ({ grade, hours, source: 'learned' as const })),
      ...s.highRiskGrades.filter((g) => s.learnedRiskHours[g] === undefined).map((grade) => ({ grade, hours: s.highRiskHours, source: 'fixed' as const })),
    ],
  };
}
