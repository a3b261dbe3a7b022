import { desiredTimers, type AlarmRule, type AlarmSettings, type LeadAlarmState } from './alarms/rules';

/**
 * 我的待办: why an open lead needs action now, and the order a rep should take them in. Pure, so the server's list
 * and the tests share one definition. The reasons are the alarm rules: a lead is on the list for the same reasons a
 * card would chase it, before the card has to.
 */
export type TodoReason = AlarmRule;

export const TODO_REASON_LABELS: Record<TodoReason, string> = {
  unclaimed: '待认领',
  high_risk: '初三36小时预警',
  no_followup: '首次跟进',
  next_step: '约定的下一步',
};

export interface TodoEntry {
  /** The reason with the earliest deadline: what the row leads with. */
  reason: TodoReason;
  deadline: number;
  /** Every reason that applies, earliest first. */
  reasons: { reason: TodoReason; deadline: number }[];
  /** 「待认领 · 已超时 25 分钟」: why, and how long. */
  label: string;
  overdue: boolean;
  /** Higher first: hours past the deadline plus a tenth of the score (10 score points weigh as much as an hour). */
  urgency: number;
}

const HOUR = 3600_000;

/** How long until (or since) a deadline, in words a rep reads at a glance. */
export function durationWords(ms: number): string {
  const m = Math.max(1, Math.round(Math.abs(ms) / 60_000));
  if (m < 60) return `${m} 分钟`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} 小时`;
  return `${Math.round(h / 24)} 天`;
}

/**
 * The to-do entry of a lead at `now`, or null when nothing is needed yet. A next step counts once its day has come
 * (`endOfToday`: the end of the current China day); the other reasons count from the moment they apply.
 */
export function todoEntry(lead: LeadAlarmState & { score: number }, s: AlarmSettings, now: number, endOfToday: number): TodoEntry | null {
  const timers = desiredTimers(lead, s);
  const reasons = (Object.entries(timers) as [TodoReason, number][])
    .filter(([reason, due]) => reason !== 'next_step' || due <= endOfToday)
    // 初三 leads: the 36 h warning replaces the 48 h line (same lead, earlier deadline).
    .filter(([reason]) => !(reason === 'no_followup' && timers.high_risk !== undefined))
    .map(([reason, deadline]) => ({ reason, deadline }))
    .sort((a, b) => a.deadline - b.deadline);
  if (!reasons.length) return null;
  const first = reasons[0];
  const overdue = first.deadline <= now;
  const when = overdue ? `已超时 ${durationWords(now - first.deadline)}` : `剩 ${durationWords(first.deadline - now)}`;
  return {
    reason: first.reason,
    deadline: first.deadline,
    reasons,
    label: `${TODO_REASON_LABELS[first.reason]} · ${when}`,
    overdue,
    urgency: (now - first.deadline) / HOUR + lead.score / 10,
  };
}

/** Most urgent first; equal urgency: the earlier deadline, then the lower lead id (stable). */
export function compareTodo(a: { urgency: number; deadline: number; leadId: number }, b: { urgency: number; deadline: number; leadId: number }): number {
  return b.urgency - a.urgency || a.deadline - b.deadline || a.leadId - b.leadId;
}

/** A row of 我的待办 as GET /api/todo returns it (server and mini-app share the shape). */
export interface TodoItem extends TodoEntry {
  leadId: number;
  customerId: number;
  customerName: string;
  phone: string;
  grade: string | null;
  city: string | null;
  channel: string;
  journeyNode: string;
  score: number;
  scoreLevel: string;
  ownerId: number;
  ownerName: string | null;
  /** The signed-in owner may claim it with one tap (assigned, not yet claimed). */
  claimable: boolean;
  nextStepAction: string | null;
}
