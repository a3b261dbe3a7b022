import { z } from 'zod';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { forbidden } from '../http/errors';

/** When deletes count as a spike (one person, within the window) and the admins are alarmed. */
export interface DataSafetySettings {
  deleteSpikeCount: number;
  deleteSpikeMinutes: number;
}

export const DEFAULT_DATA_SAFETY: DataSafetySettings = { deleteSpikeCount: 50, deleteSpikeMinutes: 10 };

/** The company's data-safety settings (`settings.dataSafety`), defaults filled in. */
export function dataSafetySettings(settings: Record<string, unknown> | null | undefined): DataSafetySettings {
  const s = (settings?.dataSafety ?? {}) as Partial<DataSafetySettings>;
  const pos = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d);
  return {
    deleteSpikeCount: pos(s.deleteSpikeCount, DEFAULT_DATA_SAFETY.deleteSpikeCount),
    deleteSpikeMinutes: pos(s.deleteSpikeMinutes, DEFAULT_DATA_SAFETY.deleteSpikeMinutes),
  };
}

/** PUT /api/settings/data-safety: both thresholds, whole numbers in a sensible range. */
export const dataSafetySchema = z
  .object({
    deleteSpikeCount: z
      .number({ error: '删除条数应为数字' })
      .int('删除条数应为整数')
      .min(5, '删除条数至少为 5（太小会把正常清理当成异常）')
      .max(10_000, '删除条数最多 10000'),
    deleteSpikeMinutes: z
      .number({ error: '时间窗应为数字（分钟）' })
      .int('时间窗应为整数分钟')
      .min(1, '时间窗至少 1 分钟')
      .max(1440, '时间窗最多 1440 分钟（一天）'),
  })
  .strict();

/** Saves the company's thresholds (admin), audited as one settings key so undo can take it back. */
export async function saveDataSafety(app: AppContext, actor: Actor, input: DataSafetySettings, requestId?: string) {
  if (actor.role !== 'admin') throw forbidden('只有管理员可以修改异常删除提醒的阈值');
  return app.tx.run(async (em) => {
    const company = await em.getRepository(Company).findOneByOrFail({ id: actor.companyId });
    const before = dataSafetySettings(company.settings as Record<string, unknown>);
    const changes = diffFields({ dataSafety: before }, { dataSafety: input });
    if (changes.length) {
      await em.getRepository(Company).update({ id: company.id }, { settings: { ...company.settings, dataSafety: input } as Company['settings'] });
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: app.clock.now() }).changed('company', company.id, changes);
    }
    return { ...input, changed: changes.length > 0 };
  });
}
