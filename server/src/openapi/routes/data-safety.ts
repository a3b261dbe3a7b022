import { historyQuerySchema, undoSchema } from '../../history/schemas';
import { healthRecordsQuerySchema } from '../../health/routes';
import { dataSafetySchema } from '../../health/settings';
import { restoreSchema } from '../../snapshots';
import { mergeSchema } from '../../customers/customers.routes';
import { json, ok, type RouteDoc } from '../route-doc';

/** Data safety (docs/data-safety.md): time travel, undo from the audit, snapshots and restores, data health. */
export const dataSafetyRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/history/{entity}/{id}',
    tag: 'data-safety',
    summary: '历史版本 A record as it was',
    auth: 'session',
    roles: ['supervisor', 'ops', 'director', 'admin'],
    rolesNote: '主管只能查看本组织及下级线索（及其客户、跟进）',
    description:
      '`entity` 为 customer、lead 或 followup。按审计日志的变更前后值，把今天的记录逐条倒回到 `at`（ISO 时间，默认现在）时的样子，并列出此后的每一处变更（时间、操作人、字段、前后值、操作编号）。`at` 之后才创建的记录返回 `existed:false`。',
    query: historyQuerySchema,
    success: ok('`{entity, id, at, existed, record, changesSince:[{at, actorId, actorName, action, field, before, after, operationId}]}`'),
    errors: [400, 403, 404],
  },
  {
    method: 'post',
    path: '/api/undo',
    tag: 'data-safety',
    summary: '撤销变更 Undo changes from the audit',
    auth: 'session',
    roles: ['admin'],
    description:
      '撤销 `from`–`to` 之间（可限定操作人 `actorId`、对象类型 `entity`、操作编号 `operationId`）的每一处变更，按倒序还原。`dryRun:true` 只预览：按对象与字段计数、样例、冲突列表。若某字段在之后又被别人改过，即为冲突：默认保留后来的值，管理员可在 `overwrite` 中逐条选择覆盖。执行是一次带编号（`operationId`）的审计操作，可以再次撤销。新建的记录被撤销时软删除（渠道为停用，分配规则为恢复上一版本），从不物理删除。',
    body: json(undoSchema, { actorId: 12, from: '2026-01-15T14:00:00+08:00', to: '2026-01-15T17:00:00+08:00', dryRun: true }),
    success: ok(
      '`{dryRun, operationId?, selectedChanges, reverts, perEntity, perField, samples, conflicts, conflictList:[{key, entity, entityId, field, expected, current, target, laterChanges}], skipped, overwritten?}`',
    ),
    errors: [400, 403],
  },
  {
    method: 'get',
    path: '/api/data-health',
    tag: 'data-safety',
    summary: '数据健康检查 Data health',
    auth: 'session',
    roles: ['ops', 'admin'],
    description:
      '每项检查的数量（空值类给出占比 `rate`）和最多 20 个样例 ID：异常删除（某人在设定时间窗内删除超过阈值，默认 10 分钟 50 条，同时通过机器人提醒管理员）、客户已删除的未删除线索、线索已删除的跟进、疑似重复客户、每个必填资料项的空值率、停用人员名下的未结束线索（必须为 0）、超过认领时限仍无负责人的线索、失败的客户转接、没有组织的在职顾问和主管。每项附处理办法。',
    success: ok('`{at, ok, checks:[{key, label, entity, count, total?, rate?, sampleIds, status, fix?}]}`'),
    errors: [],
  },
  {
    method: 'get',
    path: '/api/data-health/{key}',
    tag: 'data-safety',
    summary: '数据健康明细 The records behind a check',
    auth: 'session',
    roles: ['ops', 'admin'],
    description: '一项检查命中的全部记录 ID，每页 50 条，附处理办法（恢复、改派、合并的接口）。',
    query: healthRecordsQuerySchema,
    success: ok('`{key, label, entity, fix, total, page, pageSize, ids}`'),
    errors: [400, 404],
  },
  {
    method: 'get',
    path: '/api/snapshots',
    tag: 'data-safety',
    summary: '快照列表 Snapshots',
    auth: 'session',
    roles: ['admin'],
    description:
      '本公司的快照（默认每 2 小时一份，保留 72 小时，最新一份可用快照始终保留）：时间、大小、每张表的行数、文件 SHA-256。只有 `usable:true`（完整写完并校验）的快照能用于恢复；写入中断的快照显示为不可用。',
    success: ok('`{intervalMs, retentionMs, items:[{id, trigger, status, usable, takenAt, startedAt, finishedAt, sizeBytes, rowCounts, sha256, error}]}`'),
    errors: [403],
  },
  {
    method: 'post',
    path: '/api/snapshots',
    tag: 'data-safety',
    summary: '立即快照 Take a snapshot now',
    auth: 'session',
    roles: ['admin'],
    description: '立即为本公司写一份快照（一致性读取，不阻塞保存），例如在大改设置或导入之前。',
    success: ok('`{id, status, usable, takenAt, sizeBytes, rowCounts, sha256, …}`', 201),
    errors: [403],
  },
  {
    method: 'post',
    path: '/api/snapshots/{id}/restore',
    tag: 'data-safety',
    summary: '从快照恢复 Restore from a snapshot',
    auth: 'session',
    roles: ['admin'],
    description:
      '先校验文件。`dryRun:true` 按表列出：未变、此后被改（changed）、已不存在（missing，按原 ID 补回）、此后新建（newer）。执行时把快照中的行写回（可限定 `tables` 或 `records`），此后新建的记录默认保留，`dropNewer:true` 时软删除。每处写入都以同一操作编号审计，可用 `/api/undo` 撤销。',
    body: json(restoreSchema, { dryRun: true }),
    success: ok('`{dryRun, snapshotId, takenAt, operationId?, tables:{<table>:{unchanged, changed, missing, newer, samples}}, tookMs}`'),
    errors: [400, 403, 404, 409],
  },
  {
    method: 'post',
    path: '/api/customers/merge',
    tag: 'data-safety',
    summary: '合并重复客户 Merge a duplicate customer',
    auth: 'session',
    roles: ['admin'],
    description:
      '数据健康「疑似重复客户」的处理：`dryRun:true` 预览要移动的线索、跟进、待发资料条数和保留客户资料的补全（保留方已有的值不变，空项用被合并方补上，关注点与标签合并）。执行后被合并的客户软删除，全部变更以本次请求编号审计，可用 `/api/undo`（operationId = 请求编号）撤销。',
    body: json(mergeSchema, { keepId: 101, mergeId: 187, dryRun: true }),
    success: ok('`{dryRun, keep:{id, name, phone}, merge:{id, name, phone}, moves:{leads, followups, contentQueue}, profileChanges:[{field, before, after}]}`'),
    errors: [400, 403, 404],
  },
  {
    method: 'get',
    path: '/api/settings/data-safety',
    tag: 'data-safety',
    summary: '异常删除阈值 Delete-spike thresholds',
    auth: 'session',
    roles: ['ops', 'admin'],
    description: '某人在 `deleteSpikeMinutes` 分钟内删除达到 `deleteSpikeCount` 条即为异常删除：数据健康标红，并通过机器人提醒管理员（默认 10 分钟 50 条）。',
    success: ok('`{deleteSpikeCount, deleteSpikeMinutes}`'),
    errors: [403],
  },
  {
    method: 'put',
    path: '/api/settings/data-safety',
    tag: 'data-safety',
    summary: '修改异常删除阈值 Change the delete-spike thresholds',
    auth: 'session',
    roles: ['admin'],
    description: '两个值一起保存，审计为公司设置 `dataSafety`（可撤销）。',
    body: json(dataSafetySchema, { deleteSpikeCount: 50, deleteSpikeMinutes: 10 }),
    success: ok('`{deleteSpikeCount, deleteSpikeMinutes, changed}`'),
    errors: [400, 403],
  },
];
