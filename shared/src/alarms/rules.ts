/**
 * Alarm rules: which timers a lead needs, as a pure function of the lead's state. The server stores the
 * result as durable timer rows and re-evaluates it at fire time, so a lead that no longer needs an alarm
 * never gets one.
 */
export const ALARM_RULES = ['unclaimed', 'no_followup', 'high_risk', 'next_step'] as const;
export type AlarmRule = (typeof ALARM_RULES)[number];

export const ALARM_RULE_LABELS: Record<AlarmRule, string> = {
  unclaimed: '分配后30分钟未认领',
  no_followup: '超过48小时未跟进',
  high_risk: '高风险线索36小时未跟进',
  next_step: '约定的下一步已到期',
};

export interface AlarmSettings {
  unclaimedMinutes: number;
  noFollowupHours: number;
  highRiskHours: number;
  /** Customer grades that count as high-risk (default 初三: the 中考 year). */
  highRiskGrades: string[];
  /** "HH:MM" in the company's local time; equal start and end = no quiet hours. */
  quietStart: string;
  quietEnd: string;
  /** Minutes east of UTC for quiet hours (China: 480). */
  utcOffsetMinutes: number;
  /** Rules that ignore quiet hours (the rep asked for this time). */
  urgentRules: AlarmRule[];
  /** More than this many cards to one person in one dispatch become one digest card. */
  digestAbove: number;
  /** WeCom drops messages past 30/min per member; stay under it. */
  perMemberPerMinute: number;
  /** …and past 1000/hour per member. */
  perMemberPerHour: number;
  /**
   * Learned early warnings (miss-model.ts): grade → hours untouched at which the company's history says the chance to
   * sign has fallen below `missRatio` of the grade's usual rate. Written by the model, not by hand; a grade without
   * enough history keeps the fixed rule (`highRiskGrades` at `highRiskHours`).
   */
  learnedRiskHours: Record<string, number>;
  /** The learned warning fires when the predicted chance drops below this share of the grade's baseline. */
  missRatio: number;
}

export const DEFAULT_ALARM_SETTINGS: AlarmSettings = {
  unclaimedMinutes: 30,
  noFollowupHours: 48,
  highRiskHours: 36,
  highRiskGrades: ['初三'],
  quietStart: '21:30',
  quietEnd: '08:00',
  utcOffsetMinutes: 480,
  urgentRules: ['next_step'],
  digestAbove: 5,
  perMemberPerMinute: 25,
  perMemberPerHour: 900,
  learnedRiskHours: {},
  missRatio: 0.5,
};

/** Company overrides (company.settings.alarms) over the defaults; unknown or ill-typed keys are ignored. */
export function alarmSettings(overrides: unknown): AlarmSettings {
  const out: AlarmSettings = { ...DEFAULT_ALARM_SETTINGS };
  if (!overrides || typeof overrides !== 'object') return out;
  for (const [k, v] of Object.entries(overrides as Record<string, unknown>)) {
    const key = k as keyof AlarmSettings;
    if (!(key in out)) continue;
    if (typeof v === typeof out[key] && Array.isArray(v) === Array.isArray(out[key])) (out as unknown as Record<string, unknown>)[key] = v;
  }
  return out;
}

/** What the rules need to know about a lead. */
export interface LeadAlarmState {
  status: string;
  deleted: boolean;
  ownerId: number | null;
  grade: string | null;
  createdAt: number;
  assignedAt: number | null;
  claimedAt: number | null;
  firstFollowupAt: number | null;
  nextStepDueAt: number | null;
}

const CLOSED = new Set(['won', 'lost', 'invalid']);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** When an untouched lead of this grade turns high-risk: the learned hours, else the fixed rule, else never (null). */
export function riskHoursFor(grade: string | null, s: AlarmSettings): number | null {
  if (grade === null) return null;
  const learned = s.learnedRiskHours?.[grade];
  if (typeof learned === 'number') return learned;
  return s.highRiskGrades.includes(grade) ? s.highRiskHours : null;
}

/** The high-risk card's reason: what the history predicts, or the fixed rule. */
export function highRiskLabel(grade: string | null, s: AlarmSettings): string {
  const learned = grade !== null ? s.learnedRiskHours?.[grade] : undefined;
  if (typeof learned === 'number') return `高风险：${grade}线索${learned}小时未联系，按历史签约机会已降到同类的${Math.round(s.missRatio * 100)}%以下`;
  return `高风险线索${s.highRiskHours}小时未跟进`;
}

/** The timers a lead needs right now: rule → due time. Rules that are satisfied are absent. */
export function desiredTimers(lead: LeadAlarmState, s: AlarmSettings): Partial<Record<AlarmRule, number>> {
  const out: Partial<Record<AlarmRule, number>> = {};
  if (lead.deleted || CLOSED.has(lead.status)) return out;
  const untouched = lead.firstFollowupAt === null;
  if (lead.ownerId !== null && lead.assignedAt !== null && lead.claimedAt === null && untouched) {
    out.unclaimed = lead.assignedAt + s.unclaimedMinutes * MIN;
  }
  if (untouched) {
    out.no_followup = lead.createdAt + s.noFollowupHours * HOUR;
    const risk = riskHoursFor(lead.grade, s);
    if (risk !== null && risk < s.noFollowupHours) out.high_risk = lead.createdAt + risk * HOUR;
  }
  if (lead.nextStepDueAt !== null && lead.ownerId !== null) out.next_step = lead.nextStepDueAt;
  return out;
}

/** Who an alarm goes to, per rule, in order (the first role a person holds wins): one table for the engine and the UI. */
export type AlarmRecipient = 'rep' | 'directSupervisor' | 'centreSupervisor' | 'opsHead';
export const ALARM_RECIPIENTS: Record<AlarmRule, readonly AlarmRecipient[]> = {
  unclaimed: ['centreSupervisor'],
  no_followup: ['rep', 'directSupervisor', 'opsHead'],
  high_risk: ['directSupervisor'],
  next_step: ['rep'],
};
export const ALARM_RECIPIENT_LABELS: Record<AlarmRecipient, string> = {
  rep: '负责顾问',
  directSupervisor: '直属主管',
  centreSupervisor: '中心主管',
  opsHead: '运营负责人',
};
