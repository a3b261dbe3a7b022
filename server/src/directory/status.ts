import type { EntityManager } from 'typeorm';

/** The latest directory sync of a company, as the first-run checklist and the data-health view show it. */
export interface DirectorySyncStatus {
  id: number;
  platform: 'wecom' | 'dingtalk';
  status: string;
  finishedAt: number | null;
  error: string | null;
}

/** Null when the company has never synced its directory. Implemented with the directory sync (issue 16). */
export async function lastDirectorySync(em: EntityManager, companyId: number): Promise<DirectorySyncStatus | null> {
  void em;
  void companyId;
  return null;
}
