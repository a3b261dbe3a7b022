import type { EntityManager } from 'typeorm';
import { alarmSettings } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { HANDOVER_STATUSES } from './lead-moves';

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
}

const marks = (xs: readonly unknown[]) => xs.map(() => '?').join(', ');

/** The checks, in the order shown; later issues add theirs here (e.g. issue 18). */
export const HEALTH_CHECKS: HealthCheck[] = [
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

/** The data-health view: per check a count and up to 20 sample ids, read as committed now. */
export async function dataHealth(app: AppContext, actor: Actor) {
  assertCan(actor, 'health.view');
  const now = app.clock.now();
  const [company] = await app.ds.query('SELECT settings FROM company WHERE id = ?', [actor.companyId]);
  const settings = (company?.settings ? JSON.parse(company.settings) : {}) as Record<string, unknown>;
  const checks = [];
  for (const c of HEALTH_CHECKS) {
    const { from, params } = c.sql(app.ds.manager, now, settings);
    const [{ n }] = await app.ds.query(`SELECT COUNT(*) AS n FROM ${from}`, [actor.companyId, ...params]);
    const sample: { id: number }[] = await app.ds.query(`SELECT x.id AS id FROM ${from} ORDER BY x.id LIMIT ${SAMPLES}`, [actor.companyId, ...params]);
    const count = Number(n);
    checks.push({
      key: c.key,
      label: c.label,
      entity: c.entity,
      count,
      sampleIds: sample.map((s) => Number(s.id)),
      status: count === 0 ? 'ok' : c.mustBeZero ? 'error' : 'warning',
      ...(count ? { fix: c.fix } : {}),
    });
  }
  return { at: now, ok: checks.every((c) => c.status === 'ok'), checks };
}
