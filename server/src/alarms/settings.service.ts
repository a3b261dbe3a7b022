import { In, IsNull, MoreThan } from 'typeorm';
import { alarmSettings, DEFAULT_ALARM_SETTINGS, type AlarmSettings, type AlarmSettingsPatch } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { companyForUpdate } from '../companies/settings-block';
import { bumpCompanyAuthVersion } from '../companies/auth-version';
import { Lead } from '../leads/lead.entity';
import { badRequest, forbidden } from '../http/errors';
import { syncTimers } from './timers';

const OPEN = ['pending', 'assigned', 'following'];

/** The company's alarm rules (thresholds, high-risk grades, quiet hours, rate limits): read by managers, changed by admins. */
export class AlarmSettingsService {
  constructor(private readonly app: AppContext) {}

  get(actor: Actor): { settings: AlarmSettings; defaults: AlarmSettings } {
    if (actor.role === 'rep') throw forbidden('只有主管及以上可以查看提醒规则');
    return { settings: alarmSettings((actor.settings as { alarms?: unknown }).alarms), defaults: DEFAULT_ALARM_SETTINGS };
  }

  /**
   * Saves the change (audited, field by field) and re-arms the timers of every open lead, so a
   * shorter deadline fires on time and a longer one does not fire early.
   */
  async save(actor: Actor, patch: AlarmSettingsPatch, requestId?: string) {
    if (actor.role !== 'admin') throw forbidden('只有管理员可以修改提醒规则');
    const { before, after } = await this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const company = await companyForUpdate(em, actor.companyId);
      const current = alarmSettings((company.settings as { alarms?: unknown }).alarms);
      const next = { ...current, ...patch };
      if (next.highRiskHours >= next.noFollowupHours) {
        throw badRequest('高风险预警时间必须早于超时未跟进时间');
      }
      const changes = diffFields(current, patch);
      if (changes.length) {
        const stored = { ...((company.settings as { alarms?: object }).alarms ?? {}), ...patch };
        await em.getRepository(Company).update({ id: company.id }, { settings: { ...company.settings, alarms: stored } as Company['settings'] });
        await bumpCompanyAuthVersion(em, company.id); // other processes' cached actors carry the settings
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed(
          'company',
          company.id,
          changes.map((c) => ({ ...c, field: `alarms.${c.field}` })),
        );
      }
      return { before: current, after: next };
    });
    const changed = JSON.stringify(before) !== JSON.stringify(after);
    if (changed) this.app.actors.clear(); // signed-in actors carry the company settings
    const rearmed = changed ? await this.rearm(actor.companyId) : 0;
    return { settings: after, changed: diffFields(before, after).map((c) => c.field), rearmed };
  }

  /**
   * The learned early warnings (miss-model.ts) written by the system: audited like a person's change (actor null), and
   * every open lead's timers re-armed when they moved.
   */
  async saveLearned(companyId: number, learned: Record<string, number>): Promise<boolean> {
    const changed = await this.app.tx.run(async (em) => {
      const company = await companyForUpdate(em, companyId);
      const current = alarmSettings((company.settings as { alarms?: unknown }).alarms);
      const changes = diffFields(current, { learnedRiskHours: learned });
      if (!changes.length) return false;
      const stored = { ...((company.settings as { alarms?: object }).alarms ?? {}), learnedRiskHours: learned };
      await em.getRepository(Company).update({ id: company.id }, { settings: { ...company.settings, alarms: stored } as Company['settings'] });
      await bumpCompanyAuthVersion(em, company.id);
      await new Audit(em, { companyId, actorId: null, at: this.app.clock.now() }).changed(
        'company',
        company.id,
        changes.map((c) => ({ ...c, field: `alarms.${c.field}` })),
      );
      return true;
    });
    if (changed) {
      this.app.actors.clear();
      await this.rearm(companyId);
    }
    return changed;
  }

  /** Re-evaluates the timers of every open lead of the company under its stored (just changed) settings, in batches by id. */
  async rearm(companyId: number, batch = 500): Promise<number> {
    let after = 0;
    let count = 0;
    for (;;) {
      const ids = await this.app.ds.getRepository(Lead).find({
        select: { id: true },
        where: { companyId, status: In(OPEN), deletedAt: IsNull(), id: MoreThan(after) },
        order: { id: 'ASC' },
        take: batch,
      });
      if (!ids.length) return count;
      after = ids[ids.length - 1].id;
      await this.app.tx.runRetryingUnique(async (em) => {
        const now = this.app.clock.now();
        await syncTimers(
          em,
          companyId,
          ids.map((l) => l.id),
          now,
        );
      });
      count += ids.length;
    }
  }
}
