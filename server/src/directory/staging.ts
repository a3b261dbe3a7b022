import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import { Company } from '../companies/company.entity';
import { OrgUnit } from '../companies/org-unit.entity';
import { effectiveSettings, type DirectorySettings } from '../companies/settings';
import { User } from '../users/user.entity';
import type { PlatformName } from '../platforms/platform-error';
import { insertRowsPlain } from '../db/rows';
import { forUpdate } from '../db/kind';
import { directorySourceFor } from './sources';
import type { DirectorySource, SourceDepartment, SourceMember } from './source';
import { DirectorySyncItem } from './directory.entities';
import type { UnitRow, UserRow } from './planner';

/** The directory a company is read from: a test's or bench's injected source, else the configured platform (sources.ts). */
export async function sourceOf(app: AppContext, companyId: number, em: EntityManager = app.ds.manager): Promise<DirectorySource | null> {
  const injected = app.platformOverrides?.directory?.(companyId);
  if (injected) return injected;
  const company = await em.getRepository(Company).findOneBy({ id: companyId });
  return company ? directorySourceFor(app, company) : null;
}

export async function directorySettingsOf(em: EntityManager, companyId: number): Promise<DirectorySettings> {
  const company = await em.getRepository(Company).findOneByOrFail({ id: companyId });
  return effectiveSettings(company.settings).directory;
}

/**
 * Serialises the directory writers of one company (a full sync's apply, each event) by locking its company row
 * before they read the org they plan against: two plans computed from the same org would each create the same unit
 * or user. Called first in those transactions (SQLite runs one transaction at a time anyway).
 */
export async function lockDirectory(em: EntityManager, companyId: number): Promise<void> {
  await em.query(`SELECT id FROM company WHERE id = ?${forUpdate(em)}`, [companyId]);
}

/** The company's org units and users as the planner reads them. */
export async function currentOrg(em: EntityManager, companyId: number, platform: PlatformName): Promise<{ units: UnitRow[]; users: UserRow[] }> {
  const units = await em.getRepository(OrgUnit).find({ where: { companyId } });
  const users = await em.getRepository(User).find({ where: { companyId } });
  return {
    units: units.map((u) => ({ ...u, supervisorPinned: Boolean(u.supervisorPinned) })),
    users: users
      .filter((u) => u.deletedAt === null)
      .map((u) => ({
        id: u.id,
        name: u.name,
        orgUnitId: u.orgUnitId,
        active: Boolean(u.active),
        platformUserId: platform === 'wecom' ? u.wecomUserId : u.dingtalkUserId,
        deptIds: u.deptIds,
        mainDeptId: u.mainDeptId,
        inactiveBy: u.inactiveBy,
      })),
  };
}

const CHUNK = 300;

export async function stageDepartments(em: EntityManager, runId: number, departments: SourceDepartment[]): Promise<void> {
  // Kept as listed (duplicates too: the planner reports them); itemId is the position, ids may differ only in case.
  const rows = departments.map((d, seq) => ({ runId, kind: 'dept' as const, deptId: '', itemId: String(seq), seq, payload: JSON.stringify(d) }));
  for (let i = 0; i < rows.length; i += CHUNK) await insertRowsPlain(em, DirectorySyncItem, rows.slice(i, i + CHUNK));
}

export async function stageMembers(em: EntityManager, runId: number, deptId: string, members: SourceMember[]): Promise<void> {
  const rows = members.map((m, seq) => ({ runId, kind: 'member' as const, deptId: deptId.slice(0, 64), itemId: String(seq), seq, payload: JSON.stringify(m) }));
  for (let i = 0; i < rows.length; i += CHUNK) await insertRowsPlain(em, DirectorySyncItem, rows.slice(i, i + CHUNK));
}

export async function stagedDepartments(em: EntityManager, runId: number): Promise<SourceDepartment[]> {
  const rows: { payload: string }[] = await em.query("SELECT payload FROM directory_sync_item WHERE runId = ? AND kind = 'dept' ORDER BY seq", [runId]);
  return rows.map((r) => JSON.parse(r.payload) as SourceDepartment);
}

export async function stagedMembers(em: EntityManager, runId: number): Promise<SourceMember[]> {
  const rows: { payload: string }[] = await em.query("SELECT payload FROM directory_sync_item WHERE runId = ? AND kind = 'member' ORDER BY id", [runId]);
  return rows.map((r) => JSON.parse(r.payload) as SourceMember);
}

export async function clearStaging(em: EntityManager, runId: number): Promise<void> {
  await em.query('DELETE FROM directory_sync_item WHERE runId = ?', [runId]);
}
