import { difference, normalQuantile, proportion, type Difference, type Proportion } from '../routing/experiment';
import { channelKey, type ScoreWeight } from '../scoring';

/**
 * The monthly field-lift review (docs/field-lift.md): for each thing a lead can carry — a profile value, a tag, a quick
 * phrase in a follow-up, an intent signal — the signing rate of the month's leads with it and without it, the lift
 * (difference) with a 95 % interval, and what that suggests for the score weights. Pure: the server feeds it the
 * month's leads; tests recompute it.
 */
export type FeatureKind = 'grade' | 'channel' | 'concern' | 'city' | 'province' | 'carrier' | 'campaign' | 'tag' | 'phrase' | 'signal';

export const FEATURE_KIND_LABELS: Record<FeatureKind, string> = {
  grade: '年级',
  channel: '渠道',
  concern: '关注点',
  city: '城市',
  province: '省份',
  carrier: '运营商',
  campaign: '活动',
  tag: '标签',
  phrase: '快捷短语',
  signal: '意向信号',
};

/** `grade:初三`, `phrase:预算有限`, `signal:询问价格`. */
export type FeatureKey = `${FeatureKind}:${string}`;

export interface LiftLead {
  features: FeatureKey[];
  signed: boolean;
}

export interface FeatureLift {
  key: FeatureKey;
  kind: FeatureKind;
  value: string;
  label: string;
  with: Proportion;
  without: Proportion;
  /** with − without, in rate points, with Newcombe's 95 % interval. */
  lift: Difference | null;
  enough: boolean;
  effect: 'positive' | 'negative' | 'none' | 'unknown';
  verdict: string;
}

export interface WeightSuggestion {
  key: FeatureKey;
  field: ScoreWeight['field'];
  value: string;
  /** Current points (null: not weighted today). */
  current: number | null;
  /** Suggested points (0: remove the weight). */
  suggested: number;
  why: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;

/** Counts of one feature: leads with it (and signed), leads without it (and signed). */
function countsOf(leads: LiftLead[], key: FeatureKey) {
  let wn = 0;
  let wk = 0;
  let on = 0;
  let ok = 0;
  for (const l of leads) {
    if (l.features.includes(key)) {
      wn++;
      if (l.signed) wk++;
    } else {
      on++;
      if (l.signed) ok++;
    }
  }
  return { wn, wk, on, ok };
}

/** One feature's lift; `z` sets the interval (1.96 alone; wider when judged with others, see fieldLifts). */
export function liftOf(leads: LiftLead[], key: FeatureKey, minSample: number, z = 1.959964): FeatureLift {
  const [kind, ...rest] = key.split(':') as [FeatureKind, ...string[]];
  const value = rest.join(':');
  const { wn, wk, on, ok } = countsOf(leads, key);
  const w = proportion(wk, wn, z);
  const o = proportion(ok, on, z);
  const lift = difference(w, o);
  const enough = wn >= minSample && on >= minSample;
  const label = `${FEATURE_KIND_LABELS[kind]}「${value}」`;
  let effect: FeatureLift['effect'] = 'unknown';
  let verdict = `样本不足（有 ${wn} 条 / 没有 ${on} 条，每边至少 ${minSample} 条）`;
  if (enough && lift && w.rate !== null && o.rate !== null) {
    const range = `（${pts(lift.diff)}个百分点，区间 ${pts(lift.low)} ~ ${pts(lift.high)}）`;
    if (lift.low > 0) [effect, verdict] = ['positive', `有它的签约率更高：${pct(w.rate)} 对 ${pct(o.rate)}${range}`];
    else if (lift.high < 0) [effect, verdict] = ['negative', `有它的签约率更低：${pct(w.rate)} 对 ${pct(o.rate)}${range}`];
    else [effect, verdict] = ['none', `看不出差别：${pct(w.rate)} 对 ${pct(o.rate)}${range}`];
  }
  return { key, kind, value, label, with: w, without: o, lift, enough, effect, verdict };
}

/**
 * The z that keeps a 5 % error rate for the whole review: with m features judged at once, Bonferroni (each interval at
 * 1 − 0.05/m), so thirty-odd comparisons do not turn up one or two "effects" by chance every month.
 */
export function familyZ(judged: number): number {
  return normalQuantile(1 - 0.05 / (2 * Math.max(1, judged)));
}

/** Every feature that occurs in the month, sorted: clear effects first, by the size of the lift; intervals family-wise. */
export function fieldLifts(leads: LiftLead[], minSample: number): { items: FeatureLift[]; judged: number; z: number } {
  const keys = [...new Set(leads.flatMap((l) => l.features))].sort();
  const judged = keys.filter((k) => {
    const c = countsOf(leads, k);
    return c.wn >= minSample && c.on >= minSample;
  }).length;
  const z = familyZ(judged);
  const order = { positive: 0, negative: 1, none: 2, unknown: 3 };
  const items = keys
    .map((k) => liftOf(leads, k, minSample, z))
    .sort((a, b) => order[a.effect] - order[b.effect] || Math.abs(b.lift?.diff ?? 0) - Math.abs(a.lift?.diff ?? 0) || a.key.localeCompare(b.key));
  return { items, judged, z };
}

const WEIGHT_FIELDS = new Set(['grade', 'channel', 'concern', 'city', 'province', 'carrier', 'campaign', 'tag']);
const round5 = (x: number) => Math.max(-50, Math.min(50, Math.round(x / 5) * 5));
/** A "no effect" is trusted as "carries nothing" only when its interval is this narrow (± 15 points). */
const NOTHING_HALF_WIDTH = 0.15;

/**
 * What the lifts suggest for the weights: a clear positive lift with no weight gets one; a weighted value whose clear
 * lift is ≥ 10 points away from its weight is moved to it; a weighted value that carries nothing (enough leads, an
 * interval within ±15 points around no difference) is removed. Points = the lift in percentage points, to the nearest 5.
 */
export function suggestWeights(lifts: FeatureLift[], weights: ScoreWeight[]): WeightSuggestion[] {
  const out: WeightSuggestion[] = [];
  for (const l of lifts) {
    if (!WEIGHT_FIELDS.has(l.kind) || !l.lift) continue;
    const field = l.kind as ScoreWeight['field'];
    const w = weights.find((x) => x.field === field && (field === 'channel' ? channelKey(x.value) === channelKey(l.value) : x.value === l.value));
    const target = round5(l.lift.diff * 100);
    if (l.effect === 'positive' && !w) out.push({ key: l.key, field, value: l.value, current: null, suggested: target, why: `新增：${l.verdict}` });
    else if ((l.effect === 'positive' || l.effect === 'negative') && w && Math.abs(w.points - target) >= 10)
      out.push({ key: l.key, field, value: w.value, current: w.points, suggested: target, why: `调整：${l.verdict}` });
    else if (l.effect === 'none' && w && w.points !== 0 && (l.lift.high - l.lift.low) / 2 <= NOTHING_HALF_WIDTH)
      out.push({ key: l.key, field, value: w.value, current: w.points, suggested: 0, why: `去掉：它不带来差别，${l.verdict}` });
  }
  return out;
}

/** The weights after accepting some suggestions (by key): changed in place, added at the end, removed at 0. */
export function applySuggestions(weights: ScoreWeight[], accepted: WeightSuggestion[]): ScoreWeight[] {
  let next = weights.map((w) => ({ ...w }));
  for (const s of accepted) {
    const i = next.findIndex((w) => w.field === s.field && w.value === s.value);
    if (s.suggested === 0) next = next.filter((_, j) => j !== i);
    else if (i >= 0) next[i] = { ...next[i], points: s.suggested };
    else next.push({ field: s.field, value: s.value, points: s.suggested });
  }
  return next;
}
