/**
 * The customer health score (0-100) shown on the sidebar's customer card: rule-based, every point explained.
 * Open after-sales tickets, recent faults and a long silence lower it; an open fault ticket also puts a warning on
 * the card so nobody pitches a new product to a family waiting for a fix.
 */
export interface HealthInput {
  openTickets: number;
  openFaults: number;
  /** Fault tickets opened in the last 90 days (open or closed). */
  recentFaults: number;
  /** Days since the last follow-up with this customer; null = never contacted. */
  daysSinceContact: number | null;
}

export interface HealthLine {
  label: string;
  points: number;
}

export interface CustomerHealth {
  score: number;
  level: 'good' | 'watch' | 'risk';
  levelLabel: string;
  lines: HealthLine[];
  warning: string | null;
}

export const FAULT_WARNING = '售后工单处理中，勿推新品';
export const RECENT_FAULT_DAYS = 90;

export function customerHealth(h: HealthInput): CustomerHealth {
  const lines: HealthLine[] = [];
  if (h.openTickets > 0) lines.push({ label: `未关闭工单 ${h.openTickets} 个`, points: -Math.min(30, 15 * h.openTickets) });
  if (h.openFaults > 0) lines.push({ label: '故障工单处理中', points: -25 });
  if (h.recentFaults > 0) lines.push({ label: `近${RECENT_FAULT_DAYS}天故障 ${h.recentFaults} 次`, points: -Math.min(30, 10 * h.recentFaults) });
  if (h.daysSinceContact === null) lines.push({ label: '还没有跟进记录', points: -10 });
  else if (h.daysSinceContact > 30) lines.push({ label: `${Math.floor(h.daysSinceContact)} 天未联系`, points: -20 });
  else if (h.daysSinceContact > 14) lines.push({ label: `${Math.floor(h.daysSinceContact)} 天未联系`, points: -10 });
  const score = Math.max(0, 100 + lines.reduce((s, l) => s + l.points, 0));
  const level = score >= 80 ? 'good' : score >= 50 ? 'watch' : 'risk';
  return { score, level, levelLabel: { good: '健康', watch: '关注', risk: '风险' }[level], lines, warning: h.openFaults > 0 ? FAULT_WARNING : null };
}
