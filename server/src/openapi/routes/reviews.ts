import { fieldLiftAcceptSchema, fieldLiftQuerySchema } from '../../reviews/routes';
import { json, ok, type RouteDoc } from '../route-doc';

/** The monthly field-lift review (docs/field-lift.md). */
export const reviewRoutes: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/reviews/field-lift',
    tag: 'metrics',
    summary: '字段价值月度复盘 Monthly field-lift review',
    auth: 'session',
    roles: ['ops', 'director', 'admin'],
    description:
      '该月（中国时间）新增线索中，带有每个画像取值、标签、快捷短语、意向信号的线索与不带的线索的签约率，差值（lift）及其区间（按当月同时比较的项数做 Bonferroni 校正，整体 95%）；每边至少 20 条才下结论。给出对评分权重的建议（新增、调整、去掉不带来差别的）。',
    query: fieldLiftQuerySchema,
    success: ok(
      '`{month, leads, signed, rate, minSample, judged, z, items:[{key, kind, value, label, with:{n, successes, rate, low, high}, without, lift:{diff, low, high}, enough, effect: positive|negative|none|unknown, verdict}], carriesNothing, suggestions:[{key, field, value, current, suggested, why}], weights}`',
    ),
    errors: [400, 403],
  },
  {
    method: 'post',
    path: '/api/reviews/field-lift/accept',
    tag: 'metrics',
    summary: '采纳权重建议 Accept weight suggestions',
    auth: 'session',
    roles: ['admin'],
    description: '把选中的建议写成新的评分权重（与手动保存权重相同：审计、重算所有有效线索的评分）。建议已变化时 409。',
    body: json(fieldLiftAcceptSchema, { month: '2026-01', keys: ['grade:初三'] }),
    success: ok('`{accepted, weights, levelA, changed, recomputed}`'),
    errors: [400, 403, 409],
  },
];
