import { In } from 'typeorm';
import type { AppContext } from '../context';
import { Company } from '../companies/company.entity';
import { User } from '../users/user.entity';
import { queueMessage } from '../alarms/queue-message';
import { channelFor } from '../alarms/fire';
import { isUniqueViolation } from '../db/errors';
import { dataSafetySettings } from './settings';

const ENTITY_LABELS: Record<string, string> = { customer: '客户', lead: '线索', followup: '跟进', script: '话术', content_item: '资料', app_user: '人员' };
const HOUR = 3600_000;

export interface Spike {
  companyId: number;
  actorId: number;
  actorName: string;
  total: number;
  perEntity: Record<string, number>;
  since: number;
}

/** People who deleted at least the company's threshold within its window, up to now. */
export async function findSpikes(app: AppContext, companyId: number, settings: Record<string, unknown>, now: number): Promise<Spike[]> {
  const s = dataSafetySettings(settings);
  const since = now - s.deleteSpikeMinutes * 60_000;
  const rows: { actorId: number; entity: string; n: number }[] = await app.ds.query(
    `SELECT actorId, entity, COUNT(*) AS n FROM audit_log WHERE companyId = ? AND action = 'delete' AND at > ? AND at <= ? AND actorId IS NOT NULL
      GROUP BY actorId, entity`,
    [companyId, since, now],
  );
  const byActor = new Map<number, Record<string, number>>();
  for (const r of rows) byActor.set(Number(r.actorId), { ...(byActor.get(Number(r.actorId)) ?? {}), [r.entity]: Number(r.n) });
  const over = [...byActor].filter(([, per]) => Object.values(per).reduce((a, b) => a + b, 0) >= s.deleteSpikeCount);
  if (!over.length) return [];
  const users = await app.ds.getRepository(User).findBy({ companyId, id: In(over.map(([id]) => id)) });
  return over.map(([actorId, perEntity]) => ({
    companyId,
    actorId,
    actorName: users.find((u) => u.id === actorId)?.name ?? `ID ${actorId}`,
    total: Object.values(perEntity).reduce((a, b) => a + b, 0),
    perEntity,
    since,
  }));
}

/**
 * Watches for delete spikes every minute and alarms the company's admins through the bot: one message per admin, per
 * person deleting, per hour (the outbox's dedupe key), delivered with retries by the alarm dispatcher like any digest.
 */
export async function alarmDeleteSpikes(app: AppContext): Promise<number> {
  const now = app.clock.now();
  let raised = 0;
  for (const company of await app.ds.getRepository(Company).find()) {
    const settings = (company.settings ?? {}) as Record<string, unknown>;
    const spikes = await findSpikes(app, company.id, settings, now);
    if (!spikes.length) continue;
    const admins = await app.ds.getRepository(User).find({ where: { companyId: company.id, role: 'admin', active: true } });
    for (const spike of spikes) {
      const { deleteSpikeMinutes } = dataSafetySettings(settings);
      const what = Object.entries(spike.perEntity)
        .map(([e, n]) => `${ENTITY_LABELS[e] ?? e} ${n} 条`)
        .join('、');
      for (const admin of admins.filter((a) => a.deletedAt === null)) {
        const message = {
          companyId: company.id,
          alarmId: null,
          recipientId: admin.id,
          kind: 'digest' as const,
          channel: channelFor(app, admin),
          payload: {
            title: '异常删除提醒',
            lines: [
              `${spike.actorName} 在 ${deleteSpikeMinutes} 分钟内删除了 ${spike.total} 条记录（${what}）。`,
              '如非正常操作，请在「设置 → 数据安全」按此人和时间段预览并一键撤销。',
            ],
            page: 'safety',
            actorId: spike.actorId,
            since: spike.since,
          },
          dedupeKey: `delete-spike:${admin.id}:${spike.actorId}:${Math.floor(now / HOUR)}`,
        };
        try {
          if (await queueMessage(app.ds.manager, now, message)) raised++;
        } catch (err) {
          if (!isUniqueViolation(err)) throw err; // queued this hour by another process at the same moment
        }
      }
    }
  }
  return raised;
}
