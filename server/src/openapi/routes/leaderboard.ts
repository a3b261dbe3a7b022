import { leaderboardEntriesQuerySchema, leaderboardQuerySchema, leaderboardRulesPatchSchema } from '@lifeline/shared';
import { json, ok, type RouteDoc } from '../route-doc';

/** The entry leaderboard (docs/leaderboard.md). */
export const leaderboardRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/leaderboard',
    tag: 'metrics',
    summary: '录入榜 Entry leaderboard',
    auth: 'session',
    roles: 'signed-in',
    description:
      '某天（默认今天，中国时间）全公司与本组的录入积分前 5 名、本周（周一至周日）累计、自己的积分与名次。积分按每条跟进记录的质量计算：跟进动作、有内容的结论、约定下一步、确认的语音草稿；10 分钟内同一线索的重复记录、7 天内相同的结论不计分。',
    query: leaderboardQuerySchema,
    success: ok(
      '`{day, week:{from, to}, company:[{rank, userId, name, team, points, entries}], team:{id, name, items}|null, weekCompany, weekTeam, me:{today:{points, rank}, week}, rules}`',
    ),
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/leaderboard/entries',
    tag: 'metrics',
    summary: '录入积分明细 Why each entry scored',
    auth: 'session',
    roles: 'signed-in',
    rolesNote: '本人；主管等可看范围内的人',
    query: leaderboardEntriesQuerySchema,
    success: ok('`{userId, name, day, total, items:[{followupId, leadId, at, points, reasons, voided}]}`'),
    errors: [400, 403, 404],
  },
  {
    method: 'put',
    path: '/api/leaderboard/settings',
    tag: 'metrics',
    summary: '录入积分规则 Leaderboard rules',
    auth: 'session',
    roles: ['admin'],
    description: '任意字段；逐项审计。新规则只用于此后的记录，已得的积分不重算。',
    body: json(leaderboardRulesPatchSchema, { nextStepPoints: 2, cooldownMinutes: 10 }),
    success: ok('`{rules, changed, defaults}`'),
    errors: [403],
  },
];
