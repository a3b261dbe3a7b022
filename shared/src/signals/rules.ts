import type { ScoreLine, ScoreResult } from '../scoring';
import { scoreLevelOf } from '../scoring';

/**
 * Live intent signals (docs/signals.md): a class of phrases found in what a customer says — in a chat message the
 * archive sidecar posts, a follow-up's conclusion or a voice transcript — adds its points to the lead's score, fading
 * with a half-life. Pure, so the settings screen previews a phrase with the server's exact rule.
 */
export interface SignalClass {
  name: string;
  /** Any one of these, as written (case-insensitive for Latin letters), makes the class match. */
  phrases: string[];
  /** Points at the moment the signal is seen (negative for a refusal). */
  points: number;
}

export interface SignalSettings {
  classes: SignalClass[];
  /** The static factors' share of the score (0.1–0.9). At the default share both count as written (see combineScore). */
  staticShare: number;
  /** A signal's points halve every this many hours. */
  halfLifeHours: number;
  /** Days a chat message's text is kept (0: never stored; signals keep only the phrase that matched). */
  chatRetentionDays: number;
  /** Crossing into A-level because of a signal sends the supervisor a bot message. */
  alarmSupervisorOnA: boolean;
}

export const DEFAULT_STATIC_SHARE = 0.4;

export const DEFAULT_SIGNAL_CLASSES: SignalClass[] = [
  { name: '提及竞品', phrases: ['学而思', '新东方', '猿辅导', '作业帮', '高途', '别家', '其他机构', '别的机构'], points: 10 },
  { name: '询问价格', phrases: ['多少钱', '价格', '学费', '费用', '收费', '优惠', '报价', '怎么收'], points: 15 },
  { name: '要求试听/演示', phrases: ['试听', '试课', '体验课', '演示', '先听一节', '旁听'], points: 25 },
  { name: '明确拒绝', phrases: ['不需要', '不考虑', '没兴趣', '不感兴趣', '别再打', '别打了', '不用了', '已经报了'], points: -40 },
];

export const DEFAULT_SIGNAL_SETTINGS: SignalSettings = {
  classes: DEFAULT_SIGNAL_CLASSES,
  staticShare: DEFAULT_STATIC_SHARE,
  halfLifeHours: 72,
  chatRetentionDays: 30,
  alarmSupervisorOnA: true,
};

export interface SignalHit {
  name: string;
  /** The phrase that matched: kept with the signal even when the text is not. */
  phrase: string;
  points: number;
}

/** Each class at most once per text: the first of its phrases that occurs. */
export function detectSignals(text: string | null | undefined, classes: SignalClass[]): SignalHit[] {
  if (!text) return [];
  const hay = text.toLowerCase();
  const hits: SignalHit[] = [];
  for (const c of classes) {
    const phrase = c.phrases.find((p) => p && hay.includes(p.toLowerCase()));
    if (phrase) hits.push({ name: c.name, phrase, points: c.points });
  }
  return hits;
}

/** A stored signal of a lead: its class, its points when seen, and when. */
export interface LeadSignalFact {
  name: string;
  points: number;
  at: number;
}

/** Signals older than this many half-lives weigh less than half a point at ±100: they are left out. */
export const SIGNAL_HORIZON_HALF_LIVES = 8;

/**
 * The share turns into two multipliers that are 1 at the default share, so a company that never touches it keeps its
 * weights as written; moving it to 20 % halves static points and scales signal points by 1⅓ (0.8 ÷ 0.6).
 */
export function shareMultipliers(staticShare: number): { static: number; signal: number } {
  return { static: staticShare / DEFAULT_STATIC_SHARE, signal: (1 - staticShare) / (1 - DEFAULT_STATIC_SHARE) };
}

export function decayedPoints(points: number, ageMs: number, halfLifeHours: number): number {
  return points * Math.pow(0.5, Math.max(0, ageMs) / (halfLifeHours * 3_600_000));
}

/**
 * The lead's score: its static breakdown (scoreLead) plus each live signal's decayed points, both scaled by the static
 * share. Signal lines carry `at`, so the explanation reads "询问价格 +15，10分钟前". A signal that has faded to 0 points
 * is left out.
 */
export function combineScore(
  staticResult: Pick<ScoreResult, 'breakdown'>,
  signals: LeadSignalFact[],
  settings: Pick<SignalSettings, 'staticShare' | 'halfLifeHours'>,
  now: number,
  levelA: number,
): ScoreResult {
  const m = shareMultipliers(settings.staticShare);
  const scaledStatic = staticResult.breakdown.filter((l) => l.at === undefined).map((l) => ({ label: l.label, points: Math.round(l.points * m.static) }));
  const horizon = SIGNAL_HORIZON_HALF_LIVES * settings.halfLifeHours * 3_600_000;
  const signalLines: ScoreLine[] = [...signals]
    .filter((s) => now - s.at <= horizon)
    .sort((a, b) => b.at - a.at)
    .map((s) => ({ label: s.name, points: Math.round(decayedPoints(s.points, now - s.at, settings.halfLifeHours) * m.signal), at: s.at }))
    .filter((l) => l.points !== 0);
  const breakdown = [...scaledStatic, ...signalLines];
  const score = breakdown.reduce((sum, l) => sum + l.points, 0);
  return { score, level: scoreLevelOf(score, levelA), breakdown };
}
