import { cnDay } from './format';

export type Preset = 7 | 30 | 90 | 'custom';

export interface Filters {
  preset: Preset;
  from: string;
  to: string;
  unitId?: number;
  repId?: number;
  city?: string;
  grade?: string;
  channel?: string;
}

export function presetRange(days: number, now = Date.now()): { from: string; to: string } {
  return { from: cnDay(now - (days - 1) * 86_400_000), to: cnDay(now) };
}

export function defaultFilters(now = Date.now()): Filters {
  return { preset: 30, ...presetRange(30, now) };
}

/** The query string every /api/metrics endpoint accepts (metricsFilterSchema). */
export function filterQuery(f: Filters, extra: Record<string, string | number | undefined> = {}): string {
  const q: Record<string, string | number | undefined> = {
    from: f.from,
    to: f.to,
    unitId: f.unitId,
    repId: f.repId,
    city: f.city,
    grade: f.grade,
    channel: f.channel,
    ...extra,
  };
  return Object.entries(q)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

/** How many filters beyond the date range are set (shown on the 筛选 button). */
export function activeCount(f: Filters): number {
  return [f.unitId, f.repId, f.city, f.grade, f.channel].filter((v) => v !== undefined && v !== '').length;
}
