import { chinaDayOf, dayNumber, dayString } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { forbidden, notFound } from '../http/errors';
import { User } from '../users/user.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import { EntryPoints } from './entities';

const TOP = 5;
type Row = { authorId: number | string; points: number | string; entries: number | string };

/** Monday of the China-time week of `day` (YYYYMMDD), and the Sunday after it. */
function weekOf(day: number): { from: number; to: number } {
  const s = dayString(day);
  const t = Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, Number(s.slice(8, 10)));
  const dow = (new Date(t).getUTCDay() + 6) % 7; // Monday 0
  const at = (d: number) => {
    const x = new Date(t + d * 86_400_000);
    return x.getUTCFullYear() * 10000 + (x.getUTCMonth() + 1) * 100 + x.getUTCDate();
  };
  return { from: at(-dow), to: at(6 - dow) };
}

/**
 * The entry leaderboard (docs/leaderboard.md): the day's top 5 of the company and of the caller's team, the week's
 * totals, and the caller's own points. Everyone signed in sees it: it is a public board by design (names and points,
 * no customers).
 */
export async function leaderboard(app: AppContext, actor: Actor, day?: string) {
  const d = day ? dayNumber(day) : chinaDayOf(app.clock.now());
  const week = weekOf(d);
  const sum = async (from: number, to: number, unitIds?: number[]): Promise<Row[]> =>
    app.ds.query(
      `SELECT authorId, SUM(points) AS points, COUNT(*) AS entries FROM entry_points
        WHERE companyId = ? AND day BETWEEN ? AND ? AND voidedAt IS NULL${unitIds ? ` AND orgUnitId IN (${unitIds.map(() => '?').join(',')})` : ''}
        GROUP BY authorId HAVING SUM(points) > 0 ORDER BY SUM(points) DESC, COUNT(*) ASC, authorId ASC`,
      [actor.companyId, from, to, ...(unitIds ?? [])],
    );
  const team = actor.orgUnitId ? await app.ds.getRepository(OrgUnit).findOneBy({ id: actor.orgUnitId, companyId: actor.companyId }) : null;
  // "My team": a rep's own team; a supervisor's unit with everything under it (a centre's teams).
  const teamUnits = team ? (actor.scope?.unitIds.length ? actor.scope.unitIds : [team.id]) : [];
  const [dayCompany, dayTeam, weekCompany, weekTeam] = await Promise.all([
    sum(d, d),
    team ? sum(d, d, teamUnits) : Promise.resolve([]),
    sum(week.from, week.to),
    team ? sum(week.from, week.to, teamUnits) : Promise.resolve([]),
  ]);
  const ids = [...new Set([...dayCompany, ...dayTeam, ...weekCompany, ...weekTeam].map((r) => Number(r.authorId)))];
  const users = ids.length ? await app.ds.getRepository(User).find({ where: ids.map((id) => ({ id, companyId: actor.companyId })) }) : [];
  const units = await app.ds.getRepository(OrgUnit).findBy({ companyId: actor.companyId });
  const view = (rows: Row[], limit: number) =>
    rows.slice(0, limit).map((r, i) => {
      const u = users.find((x) => x.id === Number(r.authorId));
      return {
        rank: i + 1,
        userId: Number(r.authorId),
        name: u?.name ?? `#${r.authorId}`,
        team: units.find((x) => x.id === u?.orgUnitId)?.name ?? null,
        points: Number(r.points),
        entries: Number(r.entries),
      };
    });
  const mine = (rows: Row[]) => {
    const i = rows.findIndex((r) => Number(r.authorId) === actor.id);
    return i < 0 ? { points: 0, rank: null } : { points: Number(rows[i].points), rank: i + 1 };
  };
  return {
    day: dayString(d),
    week: { from: dayString(week.from), to: dayString(week.to) },
    company: view(dayCompany, TOP),
    team: team ? { id: team.id, name: team.name, items: view(dayTeam, TOP) } : null,
    weekCompany: view(weekCompany, 10),
    weekTeam: team ? view(weekTeam, 50) : [],
    me: { today: mine(dayCompany), week: mine(weekCompany) },
    rules: actor.settings.leaderboard,
  };
}

/** One person's scored entries of a day with the reasons: their own, or, for managers, someone in their scope. */
export async function entriesOf(app: AppContext, actor: Actor, userId: number, day?: string) {
  if (userId !== actor.id) {
    if (actor.role === 'rep') throw forbidden('只能查看自己的录入积分明细');
    if (actor.scope && !actor.scope.userIds.includes(userId)) throw notFound(`用户不存在或不在你的范围内（ID ${userId}）`);
  }
  const user = await app.ds.getRepository(User).findOneBy({ id: userId, companyId: actor.companyId });
  if (!user) throw notFound(`用户不存在或不在你的范围内（ID ${userId}）`);
  const d = day ? dayNumber(day) : chinaDayOf(app.clock.now());
  const rows = await app.ds
    .getRepository(EntryPoints)
    .find({ where: { companyId: actor.companyId, authorId: userId, day: d }, order: { at: 'ASC', id: 'ASC' } });
  return {
    userId,
    name: user.name,
    day: dayString(d),
    total: rows.filter((r) => r.voidedAt === null).reduce((s, r) => s + r.points, 0),
    items: rows.map((r) => ({ followupId: r.followupId, leadId: r.leadId, at: r.at, points: r.points, reasons: r.reasons, voided: r.voidedAt !== null })),
  };
}
