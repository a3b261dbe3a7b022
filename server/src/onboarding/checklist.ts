import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { Company } from '../companies/company.entity';
import { lastDirectorySync } from '../directory/status';

export type ChecklistKey = 'platformCredentials' | 'directorySynced' | 'unitsMapped' | 'routingPoolsFilled' | 'alarmThresholdsReviewed' | 'testAlarmDelivered';

export interface ChecklistItem {
  key: ChecklistKey;
  label: string;
  done: boolean;
  /** What was found, in Chinese. */
  detail: string;
  /** What to do next when not done. */
  action: string | null;
}

const count = async (em: EntityManager, sql: string, params: unknown[]) => Number((await em.query(sql, params))[0]?.n ?? 0);

/** The audit row the onboarding actions write (entity 'onboarding', one field per item). */
export const ONBOARDING_ENTITY = 'onboarding';

async function platform(app: AppContext, c: Company): Promise<ChecklistItem> {
  const wecom = Boolean(app.config.wecom && c.wecomCorpId && c.wecomCorpId === app.config.wecom.corpId);
  const dingtalk = Boolean(app.config.dingtalk && c.dingtalkCorpId && c.dingtalkCorpId === app.config.dingtalk.corpId);
  const which = [wecom && '企业微信', dingtalk && '钉钉'].filter(Boolean).join('、');
  return {
    key: 'platformCredentials',
    label: '平台凭据',
    done: wecom || dingtalk,
    detail: which ? `已连接${which}（corp id ${wecom ? c.wecomCorpId : c.dingtalkCorpId}）` : '本公司尚未连接企业微信或钉钉：提醒只在本地控制台显示',
    action: which ? null : '在服务器配置 WECOM_* 或 DINGTALK_* 凭据，并用 npm run company:create 的 --wecom-corp-id / --dingtalk-corp-id 绑定本公司',
  };
}

async function directory(em: EntityManager, companyId: number): Promise<ChecklistItem> {
  const last = await lastDirectorySync(em, companyId);
  const done = last?.status === 'applied';
  return {
    key: 'directorySynced',
    label: '通讯录同步',
    done,
    detail: last ? `最近一次同步（ID ${last.id}）：${last.status}${last.error ? `，${last.error}` : ''}` : '还没有同步过通讯录',
    action: done
      ? null
      : last?.status === 'review'
        ? '复核同步差异后应用（POST /api/directory/sync/:id/apply）'
        : '发起一次通讯录全量同步（POST /api/directory/sync）',
  };
}

async function units(em: EntityManager, companyId: number): Promise<ChecklistItem> {
  const centres = await count(em, "SELECT COUNT(*) AS n FROM org_unit WHERE companyId = ? AND deletedAt IS NULL AND kind = 'centre'", [companyId]);
  const teams = await count(em, "SELECT COUNT(*) AS n FROM org_unit WHERE companyId = ? AND deletedAt IS NULL AND kind = 'team'", [companyId]);
  const headless = await count(em, "SELECT COUNT(*) AS n FROM org_unit WHERE companyId = ? AND deletedAt IS NULL AND kind = 'team' AND supervisorId IS NULL", [
    companyId,
  ]);
  const done = centres > 0 && teams > 0 && headless === 0;
  return {
    key: 'unitsMapped',
    label: '中心与小组',
    done,
    detail: `${centres} 个中心、${teams} 个小组${headless ? `，其中 ${headless} 个小组没有主管` : ''}`,
    action: done
      ? null
      : teams === 0
        ? '同步通讯录，或调整哪一层部门是中心、哪一层是小组（PUT /api/directory/settings）'
        : '为没有主管的小组指定主管（部门负责人同步后自动成为主管）',
  };
}

async function pools(em: EntityManager, companyId: number): Promise<ChecklistItem> {
  const total = await count(em, 'SELECT COUNT(*) AS n FROM routing_pool WHERE companyId = ? AND deletedAt IS NULL', [companyId]);
  const empty = await count(
    em,
    `SELECT COUNT(*) AS n FROM routing_pool p WHERE p.companyId = ? AND p.deletedAt IS NULL AND NOT EXISTS (
      SELECT 1 FROM routing_pool_member m JOIN app_user u ON u.id = m.userId WHERE m.poolId = p.id AND u.active = 1 AND u.deletedAt IS NULL)`,
    [companyId],
  );
  const done = total > 0 && empty === 0;
  return {
    key: 'routingPoolsFilled',
    label: '线索池',
    done,
    detail: total ? `${total} 个线索池${empty ? `，其中 ${empty} 个没有在职成员` : '，都有在职成员'}` : '还没有线索池：新线索只能进入轮转队列',
    action: done ? null : '在分配设置中建立线索池并加入成员（POST /api/routing/pools）',
  };
}

async function marked(em: EntityManager, companyId: number, field: string): Promise<{ at: number; after: string | null } | null> {
  const [row] = await em.query('SELECT at, `after` FROM audit_log WHERE companyId = ? AND entity = ? AND field = ? ORDER BY at DESC, id DESC LIMIT 1', [
    companyId,
    ONBOARDING_ENTITY,
    field,
  ]);
  return row ? { at: Number(row.at), after: row.after === null ? null : String(row.after) } : null;
}

async function thresholds(em: EntityManager, c: Company): Promise<ChecklistItem> {
  const changed = await count(em, "SELECT COUNT(*) AS n FROM audit_log WHERE companyId = ? AND entity = 'company' AND field LIKE 'alarms.%'", [c.id]);
  const confirmed = await marked(em, c.id, 'alarmThresholdsReviewed');
  const done = changed > 0 || confirmed !== null;
  return {
    key: 'alarmThresholdsReviewed',
    label: '提醒阈值',
    done,
    detail: changed ? '已按本公司调整过提醒阈值' : confirmed ? '管理员已确认沿用默认阈值（48 小时未跟进等）' : '仍是默认阈值，尚未确认',
    action: done ? null : '在提醒设置中调整阈值（PUT /api/alarms/settings），或确认沿用默认值（POST /api/onboarding/confirm）',
  };
}

async function testAlarm(em: EntityManager, companyId: number): Promise<ChecklistItem> {
  const last = await marked(em, companyId, 'testAlarm');
  const ok = last?.after ? (JSON.parse(last.after) as { ok?: boolean; channel?: string }) : null;
  const done = ok?.ok === true;
  return {
    key: 'testAlarmDelivered',
    label: '测试提醒',
    done,
    detail: ok ? (done ? `测试提醒已通过「${ok.channel}」送达` : `上次测试提醒发送失败（${ok.channel}）`) : '还没有发过测试提醒',
    action: done ? null : '发送一条测试提醒给自己（POST /api/onboarding/test-alarm）',
  };
}

/** The first-run checklist of a company (docs/onboarding.md), each item read from the live data. */
export async function checklistOf(app: AppContext, companyId: number) {
  const em = app.ds.manager;
  const company = await em.getRepository(Company).findOneByOrFail({ id: companyId });
  const items = [
    await platform(app, company),
    await directory(em, companyId),
    await units(em, companyId),
    await pools(em, companyId),
    await thresholds(em, company),
    await testAlarm(em, companyId),
  ];
  return { items, done: items.filter((i) => i.done).length, total: items.length };
}
