import type { ProtectiveThreshold } from './rules';

/** A working window in China time (UTC+8, no DST). `days` are ISO weekdays, 1 = Monday … 7 = Sunday. */
export interface Shift {
  days: number[];
  /** "09:00" */
  from: string;
  /** "21:00"; a window that ends before it starts runs past midnight. */
  to: string;
}

export interface PoolMemberRule {
  userId: number;
  weight: number;
  /** Most open leads (assigned / following) the rep may hold; null = no cap. */
  cap: number | null;
  /** null or [] = always on shift. */
  shifts: Shift[] | null;
}

export interface MemberState {
  active: boolean;
  openLeads: number;
  openTopLeads: number;
}

export type SkipReason = 'inactive' | 'off_shift' | 'at_cap' | 'protected';

export const SKIP_REASON_LABELS: Record<SkipReason, string> = {
  inactive: '已停用',
  off_shift: '不在班',
  at_cap: '已达接单上限',
  protected: '高分线索已达保护上限',
};

const CHINA_OFFSET_MS = 8 * 3600_000;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** Is `at` (epoch ms) inside one of the shifts? Overnight windows count toward the day they start. */
export function onShift(shifts: Shift[] | null | undefined, at: number): boolean {
  if (!shifts || shifts.length === 0) return true;
  const local = new Date(at + CHINA_OFFSET_MS);
  const day = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  const prevDay = day === 1 ? 7 : day - 1;
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  return shifts.some((s) => {
    const from = minutesOf(s.from);
    const to = minutesOf(s.to);
    if (from <= to) return s.days.includes(day) && minute >= from && minute < to;
    return (s.days.includes(day) && minute >= from) || (s.days.includes(prevDay) && minute < to);
  });
}

/** Why this member may not take this lead now, or null when they may. Order: the most lasting reason first. */
export function ineligibility(member: PoolMemberRule, state: MemberState, at: number, leadScore: number, protective: ProtectiveThreshold): SkipReason | null {
  if (!state.active) return 'inactive';
  if (!onShift(member.shifts, at)) return 'off_shift';
  if (member.cap !== null && state.openLeads >= member.cap) return 'at_cap';
  if (leadScore >= protective.minScore && state.openTopLeads >= protective.maxPerRep) return 'protected';
  return null;
}
