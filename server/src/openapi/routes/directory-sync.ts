import { z } from 'zod';
import { directorySettingsPatchSchema } from '../../directory/settings';
import { eventsQuerySchema } from '../../directory/routes';
import { json, ok, type RouteDoc } from '../route-doc';

const RUN =
  '`{id, platform, status: fetching|review|applying|applied|failed|cancelled, origin, progress:{deptsTotal, deptsDone, membersFetched}, parkedUntil, diff, issues, errorKind, error, notice}`';

/** Directory sync (docs/directory.md): full syncs with a dry-run review, contact-change events, settings. */
export const directorySyncRoutes: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/directory/sync',
    tag: 'directory',
    summary: '发起通讯录全量同步 Start a full directory sync',
    auth: 'session',
    roles: ['admin'],
    description:
      '读取企业微信或钉钉通讯录（分页、遵守限流），算出差异后一次性应用；停用人数超过阈值或要删除仍有未结线索的组织时停在 `review`，等管理员复核。每家公司同时只有一次同步（409 给出进行中的 ID）。',
    body: json(z.object({}).strict(), {}),
    success: [{ status: 202, description: RUN }],
    errors: [409],
  },
  {
    method: 'get',
    path: '/api/directory/sync',
    tag: 'directory',
    summary: '最近的同步 Recent syncs',
    auth: 'session',
    roles: ['admin'],
    success: ok('`{items:[run]}`'),
    errors: [],
  },
  {
    method: 'get',
    path: '/api/directory/sync/{id}',
    tag: 'directory',
    summary: '同步进度与差异 A sync’s progress and diff',
    auth: 'session',
    roles: ['admin'],
    success: ok(RUN),
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/directory/sync/{id}/apply',
    tag: 'directory',
    summary: '复核后应用 Apply a sync waiting in review',
    auth: 'session',
    roles: ['admin'],
    description: '应用时按当时的组织重新计算差异，一个事务内完成：要么全部生效，要么保持原样。',
    success: [{ status: 202, description: RUN }],
    errors: [404, 409],
  },
  {
    method: 'post',
    path: '/api/directory/sync/{id}/cancel',
    tag: 'directory',
    summary: '取消同步 Cancel a sync',
    auth: 'session',
    roles: ['admin'],
    success: ok(RUN),
    errors: [404, 409],
  },
  {
    method: 'get',
    path: '/api/directory/events',
    tag: 'directory',
    summary: '通讯录变更事件 Contact-change events',
    auth: 'session',
    roles: ['admin'],
    description: '企业微信 change_contact 与钉钉 user_*_org / org_dept_* 事件，每个涉及的成员或部门一行，含处理结果。',
    query: eventsQuerySchema,
    success: ok('`{items:[{id, platform, eventType, kind, externalId, previousId, state, attempts, outcome, receivedAt, processedAt}]}`'),
    errors: [],
  },
  {
    method: 'get',
    path: '/api/directory/settings',
    tag: 'directory',
    summary: '通讯录同步设置 Directory settings',
    auth: 'session',
    roles: ['admin'],
    success: ok('`{settings:{centreDepth, teamDepth, reviewDeactivateShare, schedule, leaverTarget}, defaults, notice}`'),
    errors: [],
  },
  {
    method: 'put',
    path: '/api/directory/settings',
    tag: 'directory',
    summary: '修改通讯录同步设置 Change directory settings',
    auth: 'session',
    roles: ['admin'],
    body: json(directorySettingsPatchSchema, { centreDepth: 1, teamDepth: 2, schedule: '0 2 * * *' }),
    success: ok('`{settings, changed, defaults}`'),
    errors: [],
  },
];
