// Which dashboards a role may open. Mirrors the server's rules (GET /api/metrics/*): the server is the authority
// and answers 403 anyway; the UI uses this to show only the tabs a person can open and a clear 无权查看 otherwise.

export type ViewId = 'health' | 'battle' | 'roi' | 'heat';

export interface ViewInfo {
  id: ViewId;
  label: string;
  /** Who the view is written for (shown under the title). */
  audience: string;
  /** The export view name on /api/metrics/export. */
  exportView: 'lead-health' | 'rep-battle' | 'channel-roi' | 'journey-heat';
}

export const VIEWS: ViewInfo[] = [
  { id: 'health', label: '线索健康', audience: '总监 / 负责人', exportView: 'lead-health' },
  { id: 'battle', label: '顾问作战图', audience: '主管 / 总监', exportView: 'rep-battle' },
  { id: 'roi', label: '渠道ROI', audience: '市场 / 运营', exportView: 'channel-roi' },
  { id: 'heat', label: '旅程热力图', audience: '主管 / 运营 / 总监', exportView: 'journey-heat' },
];

/** Reps see only their own numbers (KPIs + lead health); every other role sees all four (server scopes the data). */
export function viewsFor(role: string): ViewId[] {
  return role === 'rep' ? ['health'] : ['health', 'battle', 'roi', 'heat'];
}

export function canOpen(role: string, view: ViewId): boolean {
  return viewsFor(role).includes(view);
}

/**
 * CSV export: ops, director and admin. Supervisors are denied by default; the button appears for them only when
 * the server says so (`canExport` on /api/me, if the company allows it).
 */
export function canExport(role: string, meCanExport?: boolean): boolean {
  if (role === 'ops' || role === 'director' || role === 'admin') return true;
  if (role === 'supervisor') return meCanExport === true;
  return false;
}

export function isView(v: string | undefined): v is ViewId {
  return v === 'health' || v === 'battle' || v === 'roi' || v === 'heat';
}
