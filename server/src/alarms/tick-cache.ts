import type { EntityManager } from 'typeorm';
import type { AlarmSettings } from '@lifeline/shared';
import type { AppContext } from '../context';
import { User } from '../users/user.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import type { Script } from '../scripts/script.entities';
import { companyScripts } from '../scripts/library';
import { companyAlarmSettings } from './timers';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';

/**
 * Per-tick reads shared by every alarm fired in that tick: company settings, the script library and the
 * org directory (people and units). A tick lasts seconds, so changes show up on the next tick.
 */
export class TickCache {
  private readonly settings = new Map<number, Promise<AlarmSettings>>();
  private readonly scripts = new Map<number, Promise<Script[]>>();
  private readonly dirs = new Map<number, Promise<Directory>>();

  constructor(private readonly app: AppContext) {}

  settingsOf(companyId: number): Promise<AlarmSettings> {
    if (!this.settings.has(companyId)) this.settings.set(companyId, companyAlarmSettings(this.app.ds.manager, companyId));
    return this.settings.get(companyId)!;
  }

  scriptsOf(companyId: number): Promise<Script[]> {
    // Its own transaction (it may seed the default library): call `warm` before the fire transactions.
    if (!this.scripts.has(companyId))
      this.scripts.set(
        companyId,
        this.app.tx.run((em) => companyScripts(em, companyId, this.app.clock.now())),
      );
    return this.scripts.get(companyId)!;
  }

  /** Loads everything for these companies up front, outside any transaction (SQLite queues transactions). */
  async warm(companyIds: number[]): Promise<void> {
    for (const id of new Set(companyIds)) await Promise.all([this.settingsOf(id), this.scriptsOf(id), this.directoryOf(id)]);
  }

  directoryOf(companyId: number): Promise<Directory> {
    if (!this.dirs.has(companyId)) this.dirs.set(companyId, loadDirectory(this.app.ds.manager, companyId));
    return this.dirs.get(companyId)!;
  }
}

export interface Directory {
  users: Map<number, User>;
  units: Map<number, OrgUnit>;
  opsHead: User | null;
  /** The company's courses: what {课程} in a script names. */
  courses: { name: string; concern: string }[];
}

async function loadDirectory(em: EntityManager, companyId: number): Promise<Directory> {
  const users = await em.getRepository(User).find({ where: { companyId }, order: { id: 'ASC' } });
  const units = await em.getRepository(OrgUnit).findBy({ companyId });
  const company = await em.getRepository(Company).findOneBy({ id: companyId });
  const live = users.filter((u) => u.active && u.deletedAt === null);
  return {
    users: new Map(users.map((u) => [u.id, u])),
    units: new Map(units.map((u) => [u.id, u])),
    opsHead: live.find((u) => u.role === 'ops') ?? null,
    courses: effectiveSettings(company?.settings).courses,
  };
}
