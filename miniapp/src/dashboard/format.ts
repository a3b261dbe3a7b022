// Number and time formatting for the dashboards (China time, no Intl dependency: mini-program JS engines vary).
import { KPI_DEFINITIONS, type KpiId } from '@lifeline/shared/src/metrics/definitions';

const CN_OFFSET = 8 * 3600_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** 2026-01-15 (China time) */
export function cnDay(ms: number): string {
  const d = new Date(ms + CN_OFFSET);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export function cnMonth(ms: number): string {
  return cnDay(ms).slice(0, 7);
}

/** 14:03:21 today, 1月14日 14:03 otherwise. */
export function cnClock(ms: number, now = Date.now()): string {
  const d = new Date(ms + CN_OFFSET);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return cnDay(ms) === cnDay(now) ? time : `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${time.slice(0, 5)}`;
}

/** 1月12日 14:23 */
export function cnDateTime(ms: number): string {
  const d = new Date(ms + CN_OFFSET);
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export function pct(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return `${(v * 100).toFixed(digits).replace(/\.0$/, '')}%`;
}

export function hours(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return v >= 100 ? `${Math.round(v)}小时` : `${v.toFixed(1).replace(/\.0$/, '')}小时`;
}

export function yuan(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return `¥${v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(v % 1 ? 2 : 0)}`;
}

export function kpiText(id: KpiId, v: number | null): string {
  return KPI_DEFINITIONS[id].unit === 'hours' ? hours(v) : pct(v);
}

export function kpiTargetText(id: KpiId, target = KPI_DEFINITIONS[id].target): string {
  const d = KPI_DEFINITIONS[id];
  const t = d.unit === 'hours' ? `${target}小时` : pct(target, 0);
  return `目标 ${d.direction === 'atLeast' ? '≥' : '≤'}${t}`;
}
