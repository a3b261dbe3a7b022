import { vocabularySchema } from '@lifeline/shared';
import { todoQuerySchema } from '../../todo/schemas';
import { json, ok, type RouteDoc } from '../route-doc';

/** The screens' own reads and writes (docs/screens.md): 我的待办, 团队, 设置. */
export const workbenchRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/todo',
    tag: 'workbench',
    summary: '我的待办 To-do list',
    auth: 'session',
    roles: 'signed-in',
    rolesNote: '顾问：自己的线索；主管：本组织及下级（可用 repId 看某位顾问）；运营、总监、管理员：全公司',
    description:
      '现在需要处理的在跟线索：待认领、首次跟进（48 小时内，逾期标红）、初三 36 小时预警、今天到期或已逾期的下一步。每行说明原因与剩余/超时时长，按「超时小时数 + 评分÷10」从高到低排序。`leadIds` 用于提醒汇总卡片打开的列表；`limit=0` 只返回数量（侧边栏角标）。',
    query: todoQuerySchema,
    success: ok(
      '`{items:[{leadId, customerId, customerName, phone, grade, city, channel, journeyNode, score, scoreLevel, ownerId, ownerName, reason, reasons, deadline, label, overdue, urgency, claimable, nextStepAction}], total, overdue, computedAt}`',
    ),
    errors: [403, 404],
  },
  {
    method: 'get',
    path: '/api/settings/vocabulary',
    tag: 'workbench',
    summary: '词表 Vocabulary with usage',
    auth: 'session',
    roles: ['ops', 'director', 'admin'],
    description: '跟进动作、快捷短语、课程（关注点、标价）、必填资料项、主管导出权限，及每项被多少记录使用（修改前看影响）。',
    success: ok(
      '`{actionTags, quickPhrases, courses, requiredProfileFields, supervisorCanExport, usage:{actionTags, quickPhrases, courses, customers, contentTags}}`',
    ),
    errors: [403],
  },
  {
    method: 'put',
    path: '/api/settings/vocabulary',
    tag: 'workbench',
    summary: '修改词表 Change the vocabulary',
    auth: 'session',
    roles: ['admin'],
    description:
      '移除仍在使用的跟进动作或课程、修改课程对应的关注点、修改必填资料项会影响已有记录：未带 `confirm:true` 时返回 409 `confirm_required`（`details.impacts` 列出每类记录的条数），什么都不保存；已有记录从不因设置更改而被删除。' +
      '任意子集，每个列表整体替换；逐项审计。已被使用的项在历史记录上保留，只是不再可选。「已签约」不能删除。课程或必填资料变化时，全部线索重新计算看板事实（需求匹配、资料完整度）。',
    body: json(vocabularySchema, { quickPhrases: ['预算有限', '关注师资', '想先试听'] }),
    success: ok('`{changed:[字段], reprojected}`'),
    errors: [403, 409],
  },
];
