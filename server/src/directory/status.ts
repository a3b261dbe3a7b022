import type { EntityManager } from 'typeorm';

/** The latest directory sync of a company, as the first-run checklist and the data-health view show it. */
export interface DirectorySyncStatus {
  id: number;
  platform: 'wecom' | 'dingtalk';
  status: string;
  finishedAt: number | null;
  error: string | null;
}

/** Null when the company has never synced its directory; else its newest run (live or ended). */
export async function lastDirectorySync(em: EntityManager, companyId: number): Promise<DirectorySyncStatus | null> {
  const [row] = (await em.query(
    'SELECT id, platform, status, finishedAt, error FROM directory_sync_run WHERE companyId = ? ORDER BY createdAt DESC, id DESC LIMIT 1',
    [companyId],
  )) as { id: number; platform: 'wecom' | 'dingtalk'; status: string; finishedAt: unknown; error: string | null }[];
  if (!row) return null;
  return {
    id: Number(row.id),
    platform: row.platform,
    status: row.status,
    finishedAt: row.finishedAt === null ? null : Number(row.finishedAt),
    error: row.error,
  };
}
