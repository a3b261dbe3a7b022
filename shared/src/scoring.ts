/**
 * Additive lead scoring: every (field, value) pair may carry a weight; the total decides the level.
 * Kept as data so an admin can tune it and every lead can show why it scored what it did.
 */
/** Every lead/customer fact a weight may name. `concern` and `tag` match one item of a list. */
export const SCORE_FIELDS = ['grade', 'channel', 'concern', 'city', 'province', 'carrier', 'campaign', 'tag'] as const;
type ScoreField = (typeof SCORE_FIELDS)[number];

export interface ScoreWeight {
  field: ScoreField;
  /** Exact value; for channel, matched against the tag without dates and separators. */
  value: string;
  points: number;
  label?: string;
}

export interface ScoreInput {
  grade?: string | null;
  channel?: string | null;
  concerns?: string[] | null;
  city?: string | null;
  province?: string | null;
  carrier?: string | null;
  campaign?: string | null;
  tags?: string[] | null;
}

export interface ScoreLine {
  label: string;
  points: number;
  /** Set on intent-signal lines (signals/rules.ts): when the signal was seen, its points fading since. */
  at?: number;
}

export interface ScoreResult {
  score: number;
  level: 'A' | 'B' | 'C';
  breakdown: ScoreLine[];
}

export const DEFAULT_SCORE_WEIGHTS: ScoreWeight[] = [
  { field: 'grade', value: '初三', points: 30 },
  { field: 'grade', value: '高三', points: 25 },
  { field: 'grade', value: '小六', points: 15 },
  { field: 'channel', value: '抖音直播', points: 20 },
  { field: 'channel', value: '转介绍', points: 20 },
  { field: 'channel', value: '公众号', points: 10 },
  { field: 'concern', value: '升学政策', points: 25 },
  { field: 'concern', value: '学科提分', points: 15 },
];

export const DEFAULT_LEVEL_A = 60;
const DEFAULT_LEVEL_B = 30;

/**
 * Channel tags carry a campaign date (`抖音-202601直播`); weights name the kind (`抖音直播`).
 * Compare with digits and separators removed, so one weight covers every month's campaign.
 */
export function channelKey(channel: string): string {
  return channel.replace(/[\d\s\-_/·|]+/g, '');
}

function channelMatches(channel: string, value: string): boolean {
  return channelKey(channel).includes(channelKey(value));
}

function matches(input: ScoreInput, w: ScoreWeight): boolean {
  switch (w.field) {
    case 'channel':
      return !!input.channel && channelMatches(input.channel, w.value);
    case 'concern':
      return (input.concerns ?? []).includes(w.value);
    case 'tag':
      return (input.tags ?? []).includes(w.value);
    default:
      return input[w.field] === w.value;
  }
}

export function scoreLead(input: ScoreInput, weights: ScoreWeight[] = DEFAULT_SCORE_WEIGHTS, levelA = DEFAULT_LEVEL_A, levelB = DEFAULT_LEVEL_B): ScoreResult {
  const breakdown: ScoreLine[] = [];
  for (const w of weights) {
    if (matches(input, w)) breakdown.push({ label: w.label ?? w.value, points: w.points });
  }
  const score = breakdown.reduce((s, l) => s + l.points, 0);
  return { score, level: scoreLevelOf(score, levelA, levelB), breakdown };
}

export function scoreLevelOf(score: number, levelA = DEFAULT_LEVEL_A, levelB = DEFAULT_LEVEL_B): 'A' | 'B' | 'C' {
  return score >= levelA ? 'A' : score >= levelB ? 'B' : 'C';
}

/** "初三 +30, 询问价格 +15，10分钟前" — the one-line explanation shown beside a score. */
export function describeScore(breakdown: ScoreLine[], now?: number): string {
  return breakdown
    .map((l) => `${l.label} ${l.points >= 0 ? '+' : ''}${l.points}${l.at !== undefined && now !== undefined ? `，${agoText(l.at, now)}` : ''}`)
    .join(', ');
}

/** "10分钟前", "3小时前", "2天前": how long ago a signal was seen, as the breakdown shows it. */
export function agoText(at: number, now: number): string {
  const min = Math.max(0, Math.floor((now - at) / 60_000));
  if (min < 1) return '刚刚';
  if (min < 60) return `${min}分钟前`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h}小时前`;
  return `${Math.floor(h / 24)}天前`;
}
