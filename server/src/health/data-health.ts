import type { EntityManager } from 'typeorm';
import { alarmSettings } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { HANDOVER_STATUSES } from '../users/lead-moves';
import { notFound } from '../http/errors';
import { effectiveSettings } from '../companies/settings';
import { dataSafetySettings } from './settings';

/** How many sample ids each check lists. */
const SAMPLES = 20;

export interface HealthCheck {
  /** Stable key (for the UI and for tests). */
  key: string;
  label: string;
  /** What the admin should do about it. */
  fix: string;
  /** Which table the sample ids are ids of. */
  entity: string;
  /** Rows matching: `SELECT x.id … FROM …` with `?` for the company id first, then `params`. */
  sql: (em: EntityManager, now: number, settings: Record<string, unknown>) => { from: string; params: unknown[] };
  /** 0 is the only healthy answer (else a warning). */
  mustBeZero: boolean;
  /** The live rows the count is a share of (an empty-field rate), when it is a rate. */
  of?: string;
}

const marks = (xs: readonly unknown[]) => xs.map(() => '?').join(', ');

/** Customer columns a company may require (settings.requiredProfileFields), and what counts as empty in each. */
const PROFILE_COLUMNS: Record<string, string> = {
  name: "(x.name IS NULL OR x.name = '')",
  city: "(x.city IS NULL OR x.city = '')",
  province: "(x.province IS NULL OR x.province = '')",
  grade: "(x.grade IS NULL OR x.grade = '')",
  concerns: "(x.concerns IS NULL OR x.concerns = '[]')",
  tags: "(x.tags IS NULL OR x.tags = '[]')",
};
const PROFILE_LABELS: Record<string, string> = { name: '称呼', city: '城市', province: '省份', grade: '年级', concerns: '关注点', tags: '标签' };
/** Probable duplicates: registered this close together. */
const DUPLICATE_WINDOW_MS = 24 * 3600_000;
const LIVE_CUSTOMERS = 'customer x WHERE x.companyId = ? AND x.deletedAt IS NULL';

/** Deletes at an abnormal rate, and relations a delete or an import can break. */
function DELETE_AND_RELATION_CHECKS(): HealthCheck[] {
  return [
    {
      key: 'deleteSpikes',
      label: '异常删除：短时间内大量删除的人员',
      fix: '如非正常操作，请在「设置 → 数据安全」按此人和时间段预览并一键撤销（POST /api/undo）',
      entity: 'app_user',
      mustBeZero: true,
      sql: (_em, now, settings) => {
        const s = dataSafetySettings(settings);
        return {
          from: `app_user x WHERE x.companyId = ? AND x.id IN (SELECT a.actorId FROM audit_log a WHERE a.companyId = x.companyId AND a.action = 'delete'
            AND a.at > ? AND a.actorId IS NOT NULL GROUP BY a.actorId HAVING COUNT(*) >= ?)`,
          params: [now - s.deleteSpikeMinutes * 60_000, s.deleteSpikeCount],
        };
      },
    },
    {
      key: 'leadsWithoutLiveCustomer',
      label: '客户已删除（或不存在）的未删除线索',
      fix: '在回收站恢复该客户（POST /api/customers/:id/restore），或删除这条线索',
      entity: 'lead',
      mustBeZero: true,
      sql: () => ({
        from: '`lead` x LEFT JOIN customer c ON c.id = x.customerId AND c.companyId = x.companyId WHERE x.companyId = ? AND x.deletedAt IS NULL AND (c.id IS NULL OR c.deletedAt IS NOT NULL)',
        params: [],
      }),
    },
    {
      key: 'followupsOfDeletedLeads',
      label: '线索已删除的跟进记录',
      fix: '线索被误删时请恢复线索（POST /api/leads/:id/restore）；确认删除的线索无需处理，其跟进不计入看板',
      entity: 'followup',
      mustBeZero: false,
      sql: () => ({
        from: 'followup x JOIN `lead` l ON l.id = x.leadId WHERE x.companyId = ? AND x.deletedAt IS NULL AND l.deletedAt IS NOT NULL',
        params: [],
      }),
    },
    {
      key: 'probableDuplicateCustomers',
      label: '疑似重复客户（称呼、城市、年级相同，24 小时内先后登记）',
      fix: '打开对比后合并（POST /api/customers/merge，先预览），线索与跟进并入保留的客户',
      entity: 'customer',
      mustBeZero: false,
      sql: () => ({
        // Names like 王妈妈 are common: the same name, city and grade only counts when registered within days of each
        // other (in the dense demo: 417 of 629 customers match on name, city and grade alone, 145 within 3 days, 44 within 24 h).
        from: `customer x WHERE x.companyId = ? AND x.deletedAt IS NULL AND x.name IS NOT NULL AND x.name <> '' AND EXISTS (SELECT 1 FROM customer y
          WHERE y.companyId = x.companyId AND y.id <> x.id AND y.deletedAt IS NULL AND y.name = x.name AND y.city = x.city AND y.grade = x.grade
            AND y.createdAt BETWEEN x.createdAt - ? AND x.createdAt + ?)`,
        params: [DUPLICATE_WINDOW_MS, DUPLICATE_WINDOW_MS],
      }),
    },
  ];
}

/** One check per required profile field: the share of live customers missing it. */
function emptyFieldChecks(settings: Record<string, unknown>): HealthCheck[] {
  return effectiveSettings(settings as never)
    .requiredProfileFields.filter((f) => PROFILE_COLUMNS[f])
    .map((field) => ({
      key: `emptyField:${field}`,
      label: `必填资料「${PROFILE_LABELS[field] ?? field}」为空的客户`,
      fix: '在侧边栏补全资料；大量为空通常是导入或渠道映射漏了这一列，请检查渠道的字段映射',
      entity: 'customer',
      mustBeZero: false,
      of: LIVE_CUSTOMERS,
      sql: () => ({ from: `${LIVE_CUSTOMERS} AND ${PROFILE_COLUMNS[field]}`, params: [] }),
    }));
}

/** The checks, in the order shown. */
export const HEALTH_CHECKS: HealthCheck[] = [
  ...DELETE_AND_RELATION_CHECKS(),
  {
    key: 'leadsOwnedByInactiveUsers',
    label: '停用人员名下的未结束线索',
    fix: '不应出现：停用时线索会自动交接。如有，请在人员管理中对该人员执行「转移线索」',
    entity: 'lead',
    mustBeZero: true,
    sql: () => ({
      from: `\`lead\` x JOIN app_user u ON u.id = x.ownerId WHERE x.companyId = ? AND x.deletedAt IS NULL AND x.status IN (${marks(HANDOVER_STATUSES)})
        AND (u.active = 0 OR u.deletedAt IS NOT NULL OR u.companyId <> x.companyId)`,
      params: [...HANDOVER_STATUSES],
    }),
  },
  {
    key: 'unownedLeadsPastUnclaimedWindow',
    label: '超过认领时限仍无负责人的线索',
    fix: '请主管在轮转队列中分配，或检查线索池成员、排班和接单上限',
    entity: 'lead',
    mustBeZero: false,
    sql: (_em, now, settings) => ({
      from: "`lead` x WHERE x.companyId = ? AND x.deletedAt IS NULL AND x.ownerId IS NULL AND x.status = 'pending' AND x.updatedAt <= ?",
      params: [now - alarmSettings(settings.alarms).unclaimedMinutes * 60_000],
    }),
  },
  {
    key: 'failedCustomerTransfers',
    label: '失败的企业微信客户转接',
    fix: '在「人员管理 → 客户转接」查看原因，处理后重试（POST /api/users/transfers/retry）',
    entity: 'customer_transfer',
    mustBeZero: false,
    sql: () => ({ from: "customer_transfer x WHERE x.companyId = ? AND x.status = 'failed'", params: [] }),
  },
  {
    key: 'usersWithoutOrgUnit',
    label: '没有所属组织的在职顾问和主管',
    fix: '请在人员管理中为其选择组织（没有组织的主管看不到团队，顾问的线索不属于任何团队）',
    entity: 'app_user',
    mustBeZero: false,
    sql: () => ({
      from: "app_user x WHERE x.companyId = ? AND x.deletedAt IS NULL AND x.active = 1 AND x.orgUnitId IS NULL AND x.role IN ('rep', 'supervisor')",
      params: [],
    }),
  },
];

async function companySettings(app: AppContext, companyId: number): Promise<Record<string, unknown>> {
  const [company] = await app.ds.query('SELECT settings FROM company WHERE id = ?', [companyId]);
  return (company?.settings ? JSON.parse(company.settings) : {}) as Record<string, unknown>;
}

const checksFor = (settings: Record<string, unknown>) => [...HEALTH_CHECKS, ...emptyFieldChecks(settings)];

async function countOf(app: AppContext, c: HealthCheck, companyId: number, now: number, settings: Record<string, unknown>) {
  const { from, params } = c.sql(app.ds.manager, now, settings);
  const [{ n }] = await app.ds.query(`SELECT COUNT(*) AS n FROM ${from}`, [companyId, ...params]);
  const total = c.of ? Number((await app.ds.query(`SELECT COUNT(*) AS n FROM ${c.of}`, [companyId]))[0].n) : null;
  return { count: Number(n), total, from, params };
}

/** The data-health view: per check a count (and rate), up to 20 sample ids, read as committed now. */
export async function dataHealth(app: AppContext, actor: Actor) {
  assertCan(actor, 'health.view');
  const now = app.clock.now();
  const settings = await companySettings(app, actor.companyId);
  const checks = [];
  for (const c of checksFor(settings)) {
    const { count, total, from, params } = await countOf(app, c, actor.companyId, now, settings);
    const sample: { id: number }[] = await app.ds.query(`SELECT x.id AS id FROM ${from} ORDER BY x.id LIMIT ${SAMPLES}`, [actor.companyId, ...params]);
    checks.push({
      key: c.key,
      label: c.label,
      entity: c.entity,
      count,
      ...(total !== null ? { total, rate: total ? Math.round((count / total) * 1000) / 1000 : 0 } : {}),
      sampleIds: sample.map((s) => Number(s.id)),
      status: count === 0 ? 'ok' : c.mustBeZero ? 'error' : 'warning',
      ...(count ? { fix: c.fix } : {}),
    });
  }
  return { at: now, ok: checks.every((c) => c.status === 'ok'), checks };
}

const PAGE = 50;

/** One check's records, a page at a time: the drill-down behind a figure. */
export async function dataHealthRecords(app: AppContext, actor: Actor, key: string, page: number) {
  assertCan(actor, 'health.view');
  const now = app.clock.now();
  const settings = await companySettings(app, actor.companyId);
  const c = checksFor(settings).find((x) => x.key === key);
  if (!c) throw notFound(`没有这项检查：${key}`);
  const { count, from, params } = await countOf(app, c, actor.companyId, now, settings);
  const rows: { id: number }[] = await app.ds.query(`SELECT x.id AS id FROM ${from} ORDER BY x.id LIMIT ${PAGE} OFFSET ${(page - 1) * PAGE}`, [
    actor.companyId,
    ...params,
  ]);
  return { key, label: c.label, entity: c.entity, fix: c.fix, total: count, page, pageSize: PAGE, ids: rows.map((r) => Number(r.id)) };
}
