import type { EntityManager } from 'typeorm';
import { chinaDayOf, chinaDayStart, chinaRange, dayNumber, dayString, defaultRange, type MetricsFilter, type MetricsScope } from '@lifeline/shared';
import type { Actor } from '../auth/actor';
import { badRequest, forbidden, notFound } from '../http/errors';
import { marks } from './sql';

const SUPERVISOR_ONLY = '仅主管及以上可查看';
const MAX_RANGE_DAYS = 731;

/** What a metrics query may read: the WHERE over lead_fact `f`, the reps whose conversations count, the range. */
export interface ResolvedScope {
  scope: MetricsScope;
  start: number;
  end: number;
  fromDay: number;
  toDay: number;
  /** Conditions on lead_fact `f` except the date range (company, role scope, unit, rep, city, grade, channel). */
  where: string[];
  params: unknown[];
  companyId: number;
  /** The conditions on ownerId / orgUnitId alone (role scope, unit, rep): the same columns in lead_fact and lead_rollup. */
  people: { sql: string[]; params: unknown[] };
  /** Reps whose own rows (conversations, script counters, battle map) are in scope; null = the whole company. */
  repIds: number[] | null;
  filter: MetricsFilter;
}

/** The org unit and its whole subtree (materialised path). */
async function unitSubtree(em: EntityManager, companyId: number, unitId: number): Promise<number[] | null> {
  const [unit] = await em.query('SELECT path FROM org_unit WHERE id = ? AND companyId = ? AND deletedAt IS NULL', [unitId, companyId]);
  if (!unit) return null;
  const rows: { id: number }[] = await em.query('SELECT id FROM org_unit WHERE companyId = ? AND path LIKE ?', [companyId, `${unit.path}%`]);
  return rows.map((r) => Number(r.id));
}

const intersect = (a: number[] | null, b: number[]): number[] => (a === null ? b : a.filter((x) => b.includes(x)));

/**
 * Applies the role rules to a dashboard filter. Reps: their own leads only, and no supervisor views.
 * Supervisors: their org subtree; naming a unit or rep outside it is a 403 with the reason.
 * Ops/director/admin: the whole company. Every query is scoped by company.
 */
export async function resolveScope(
  em: EntityManager,
  actor: Actor,
  filter: MetricsFilter,
  opts: { supervisorView: boolean; now: number },
): Promise<ResolvedScope> {
  if (opts.supervisorView && actor.role === 'rep') throw forbidden(SUPERVISOR_ONLY);
  const def = defaultRange(opts.now);
  const from = filter.from ?? (filter.to && filter.to < def.from ? filter.to : def.from);
  const to = filter.to ?? (filter.from && filter.from > def.to ? filter.from : def.to);
  if (from > to) throw badRequest('开始日期不能晚于结束日期');
  const { start, end } = chinaRange(from, to);
  for (const d of [from, to]) if (dayString(chinaDayOf(chinaDayStart(d))) !== d) throw badRequest(`日期 ${d} 不存在，请检查开始和结束日期`);
  if ((end - start) / 86_400_000 > MAX_RANGE_DAYS) throw badRequest('日期范围最长两年，请缩小范围');

  const people = { sql: [] as string[], params: [] as unknown[] };
  const where = ['f.companyId = ?', 'f.deletedAt IS NULL'];
  const params: unknown[] = [actor.companyId];
  const onPeople = (sql: string, ...p: unknown[]) => {
    where.push(sql);
    params.push(...p);
    people.sql.push(sql);
    people.params.push(...p);
  };
  let repIds: number[] | null = null;
  let limitedTo: MetricsScope['limitedTo'] = 'company';

  if (actor.role === 'rep') {
    limitedTo = 'own';
    if (filter.repId !== undefined && filter.repId !== actor.id) throw forbidden('顾问只能查看自己的数据');
    onPeople('f.ownerId = ?', actor.id);
    repIds = [actor.id];
  } else if (actor.scope) {
    limitedTo = 'subtree';
    const s = actor.scope;
    if (filter.unitId !== undefined && !s.unitIds.includes(filter.unitId)) throw forbidden('该组织不在你的管理范围内');
    if (filter.repId !== undefined && !s.userIds.includes(filter.repId)) throw forbidden('该顾问不在你的管理范围内');
    const users = s.userIds.length ? s.userIds : [-1]; // matches no one (0 is "no owner" in lead_rollup)
    if (s.unitIds.length) onPeople(`(f.ownerId IN (${marks(users.length)}) OR f.orgUnitId IN (${marks(s.unitIds.length)}))`, ...users, ...s.unitIds);
    else onPeople(`f.ownerId IN (${marks(users.length)})`, ...users);
    repIds = [...users];
  }

  if (filter.unitId !== undefined) {
    const units = await unitSubtree(em, actor.companyId, filter.unitId);
    if (!units) throw notFound(`组织不存在（ID ${filter.unitId}）`);
    onPeople(`f.orgUnitId IN (${marks(units.length)})`, ...units);
    const members: { id: number }[] = await em.query(`SELECT id FROM app_user WHERE companyId = ? AND orgUnitId IN (${marks(units.length)})`, [
      actor.companyId,
      ...units,
    ]);
    repIds = intersect(
      repIds,
      members.map((m) => Number(m.id)),
    );
  }
  if (filter.repId !== undefined) {
    const [user] = await em.query('SELECT id FROM app_user WHERE id = ? AND companyId = ?', [filter.repId, actor.companyId]);
    if (!user) throw notFound(`顾问不存在（ID ${filter.repId}）`);
    onPeople('f.ownerId = ?', filter.repId);
    repIds = intersect(repIds, [filter.repId]);
  }
  for (const k of ['city', 'grade', 'channel'] as const) {
    if (filter[k] !== undefined) {
      where.push(`f.${k} = ?`);
      params.push(filter[k]);
    }
  }
  return {
    scope: { from, to, limitedTo },
    start,
    end,
    fromDay: dayNumber(from),
    toDay: dayNumber(to),
    where,
    params,
    repIds,
    filter,
    companyId: actor.companyId,
    people,
  };
}

/** `f.enteredAt` within [start, end) plus the scope conditions, as one WHERE clause and its parameters. */
export function factWhere(s: Pick<ResolvedScope, 'where' | 'params'>, start: number, end: number): { sql: string; params: unknown[] } {
  return { sql: [...s.where, 'f.enteredAt >= ?', 'f.enteredAt < ?'].join(' AND '), params: [...s.params, start, end] };
}

/** `repId IN (…)` for rows keyed by rep (conversations, counters); empty scope matches nothing. */
export function repCondition(column: string, repIds: number[] | null): { sql: string; params: number[] } {
  if (repIds === null) return { sql: '1=1', params: [] };
  if (!repIds.length) return { sql: '1=0', params: [] };
  return { sql: `${column} IN (${marks(repIds.length)})`, params: repIds };
}
