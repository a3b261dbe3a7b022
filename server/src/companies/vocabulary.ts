import type { EntityManager } from 'typeorm';
import type { VocabularyInput } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { forbidden } from '../http/errors';
import { recordLeadChanges } from '../projector/outbox';
import { Company } from './company.entity';
import { bumpCompanyAuthVersion } from './auth-version';
import { effectiveSettings, type CompanySettings } from './settings';
import { requireConfirmation, type Impact } from './guard';

const KEYS = ['actionTags', 'quickPhrases', 'courses', 'requiredProfileFields', 'supervisorCanExport', 'coOwnerCanRecord'] as const;
/** Settings the lead facts are computed from (demand match, profile completeness): a change re-projects every lead. */
const FACT_INPUTS: readonly string[] = ['courses', 'requiredProfileFields'];
const BATCH = 1000;

type Usage = Record<string, number>;

/** The vocabulary with how many records use each item, so an admin sees a change's impact before saving it. */
export async function vocabularyOf(app: AppContext, actor: Actor) {
  const s = actor.settings;
  const em = app.ds.manager;
  const count = (rows: Record<string, unknown>[]): Usage => Object.fromEntries(rows.map((r) => [String(r.k), Number(r.n)]));
  const [actions, courses, customers] = await Promise.all([
    em.query('SELECT action AS k, COUNT(*) AS n FROM followup WHERE companyId = ? AND deletedAt IS NULL GROUP BY action', [actor.companyId]),
    em.query(
      'SELECT signedCourse AS k, COUNT(*) AS n FROM `lead` WHERE companyId = ? AND deletedAt IS NULL AND signedCourse IS NOT NULL GROUP BY signedCourse',
      [actor.companyId],
    ),
    em.query('SELECT COUNT(*) AS n FROM customer WHERE companyId = ? AND deletedAt IS NULL', [actor.companyId]),
  ]);
  const phrases: Usage = {};
  for (const p of s.quickPhrases) {
    const [r] = await em.query("SELECT COUNT(*) AS n FROM followup WHERE companyId = ? AND deletedAt IS NULL AND conclusion LIKE ? ESCAPE '!'", [
      actor.companyId,
      `%${likeEscape(p)}%`,
    ]);
    phrases[p] = Number(r.n);
  }
  // The tag library (tag → material): how many customers carry each tag, i.e. who a mapping would reach.
  const contentTags: Usage = {};
  const tags: { tag: string }[] = await em.query('SELECT DISTINCT tag FROM content_item WHERE companyId = ? AND deletedAt IS NULL', [actor.companyId]);
  for (const { tag } of tags) {
    const [r] = await em.query("SELECT COUNT(*) AS n FROM customer WHERE companyId = ? AND deletedAt IS NULL AND tags LIKE ? ESCAPE '!'", [
      actor.companyId,
      `%${likeEscape(JSON.stringify(tag))}%`,
    ]);
    contentTags[tag] = Number(r.n);
  }
  return {
    actionTags: s.actionTags,
    quickPhrases: s.quickPhrases,
    courses: s.courses,
    requiredProfileFields: s.requiredProfileFields,
    supervisorCanExport: s.supervisorCanExport,
    coOwnerCanRecord: s.coOwnerCanRecord,
    usage: { actionTags: count(actions), quickPhrases: phrases, courses: count(courses), customers: Number(customers[0]?.n ?? 0), contentTags },
  };
}

/** `!` escapes LIKE wildcards the same way on SQLite and MySQL (a backslash does not). */
function likeEscape(s: string): string {
  return s.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * Saves the admin's change (audited per field). Items in use stay on the records that have them (a removed action tag
 * stays on old follow-ups; it is no longer offered). A change to courses or required profile fields re-projects every
 * lead of the company so demand match and profile completeness follow at once.
 */
export async function saveVocabulary(app: AppContext, actor: Actor, input: VocabularyInput, requestId?: string) {
  if (actor.role !== 'admin') throw forbidden('只有管理员可以修改词表');
  requireConfirmation(await vocabularyImpact(app, actor, input), input.confirm);
  const changed = await app.tx.run(async (em) => {
    const now = app.clock.now();
    const company = await em.getRepository(Company).findOneByOrFail({ id: actor.companyId });
    const current = effectiveSettings(company.settings);
    const next: Partial<CompanySettings> = Object.fromEntries(KEYS.filter((k) => input[k] !== undefined).map((k) => [k, input[k]]));
    const diff = diffFields(current as unknown as Record<string, unknown>, next as Record<string, unknown>);
    if (!diff.length) return [];
    await em.getRepository(Company).update({ id: company.id }, { settings: { ...(company.settings ?? {}), ...next } as Company['settings'] });
    await bumpCompanyAuthVersion(em, company.id); // other processes' cached actors carry the settings
    await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('company', company.id, diff);
    return diff.map((d) => d.field);
  });
  if (changed.length) app.actors.clear();
  const reprojected = changed.some((f) => FACT_INPUTS.includes(f)) ? await reprojectCompany(app, actor.companyId) : 0;
  return { changed, reprojected };
}

/**
 * What a vocabulary change would reinterpret: follow-ups carrying an action tag that is removed, leads signed to a
 * removed course, leads whose demand match changes with a course's concern, customers whose profile completeness is
 * recounted when the required fields change.
 */
async function vocabularyImpact(app: AppContext, actor: Actor, input: VocabularyInput): Promise<Impact[]> {
  const s = actor.settings;
  const em = app.ds.manager;
  const c = actor.companyId;
  const n = async (sql: string, params: unknown[]) => Number((await em.query(sql, params))[0].n);
  const marks = (xs: unknown[]) => xs.map(() => '?').join(', ');
  const impacts: Impact[] = [];
  const removedTags = input.actionTags ? s.actionTags.filter((t) => !input.actionTags!.includes(t)) : [];
  if (removedTags.length) {
    const q = `SELECT COUNT(*) AS n FROM followup WHERE companyId = ? AND deletedAt IS NULL AND action IN (${marks(removedTags)})`;
    impacts.push({ what: `使用被移除跟进动作（${removedTags.join('、')}）的跟进记录`, count: await n(q, [c, ...removedTags]) });
  }
  const next = input.courses ? new Map(input.courses.map((x) => [x.name, x])) : null;
  const removedCourses = next ? s.courses.filter((x) => !next.has(x.name)).map((x) => x.name) : [];
  if (removedCourses.length) {
    const q = `SELECT COUNT(*) AS n FROM \`lead\` WHERE companyId = ? AND deletedAt IS NULL AND signedCourse IN (${marks(removedCourses)})`;
    impacts.push({ what: `已签约被移除课程（${removedCourses.join('、')}）的线索`, count: await n(q, [c, ...removedCourses]) });
  }
  const moved = next ? s.courses.filter((x) => next.has(x.name) && next.get(x.name)!.concern !== x.concern) : [];
  for (const course of moved) {
    const q = `SELECT COUNT(*) AS n FROM \`lead\` l JOIN customer cu ON cu.id = l.customerId WHERE l.companyId = ? AND l.deletedAt IS NULL
      AND (l.signedCourse = ? OR cu.concerns LIKE ? ESCAPE '!')`;
    const count = await n(q, [c, course.name, `%${likeEscape(JSON.stringify(course.concern))}%`]);
    impacts.push({ what: `课程「${course.name}」改对应关注点后需求匹配会重新计算的线索`, count });
  }
  const fieldsChanged =
    input.requiredProfileFields && JSON.stringify([...input.requiredProfileFields].sort()) !== JSON.stringify([...s.requiredProfileFields].sort());
  if (fieldsChanged) {
    const count = await n('SELECT COUNT(*) AS n FROM customer WHERE companyId = ? AND deletedAt IS NULL', [c]);
    impacts.push({ what: '资料完整度按新的必填项重新计算的客户', count });
  }
  return impacts;
}

/** Every live lead of the company into the projector's outbox, in batches: facts follow the new settings. */
export async function reprojectCompany(app: AppContext, companyId: number): Promise<number> {
  let after = 0;
  let total = 0;
  for (;;) {
    const rows: { id: number }[] = await app.ds.query('SELECT id FROM `lead` WHERE companyId = ? AND id > ? ORDER BY id LIMIT ?', [companyId, after, BATCH]);
    if (!rows.length) return total;
    const ids = rows.map((r) => Number(r.id));
    await app.tx.run((em: EntityManager) => recordLeadChanges(em, companyId, ids, app.clock.now()));
    after = ids[ids.length - 1];
    total += ids.length;
  }
}
