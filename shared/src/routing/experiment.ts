/**
 * A/B test of routing rules (docs/intake-routing.md, "A/B test"): a share of new leads stays on the previous rule
 * version, chosen by a stable hash of the lead, and the two arms are compared on first contact and conversion with
 * confidence intervals. Pure: the server assigns and reports with it; tests recompute it independently.
 */
export type Arm = 'control' | 'treatment';

/** FNV-1a over the text, then murmur3's finaliser so consecutive lead ids spread over the whole 32-bit range. */
export function stableHash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The lead's arm: the same lead and experiment (salt) always give the same answer. */
export function armOf(salt: string, leadId: number, holdoutShare: number): Arm {
  return stableHash32(`${salt}:${leadId}`) / 2 ** 32 < holdoutShare ? 'control' : 'treatment';
}

export interface Proportion {
  n: number;
  successes: number;
  /** null when n = 0. */
  rate: number | null;
  /** Wilson score interval, 95 %. */
  low: number | null;
  high: number | null;
}

const Z95 = 1.959964;

/**
 * The standard normal quantile (inverse CDF), Acklam's rational approximation (relative error < 1.2e-9): the z of a
 * confidence level, e.g. normalQuantile(0.975) = 1.96; used to widen intervals when many comparisons are made at once.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('p must be in (0, 1)');
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Wilson score interval; `z` 1.96 for 95 % (wider when many comparisons share one error rate). */
export function proportion(successes: number, n: number, z = Z95): Proportion {
  if (n === 0) return { n, successes, rate: null, low: null, high: null };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { n, successes, rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface Difference {
  /** treatment − control, in rate points (0.05 = 5 percentage points). */
  diff: number;
  low: number;
  high: number;
}

/** Newcombe's hybrid score interval for a difference of two proportions (from the two Wilson intervals), 95 %. */
export function difference(treatment: Proportion, control: Proportion): Difference | null {
  if (treatment.rate === null || control.rate === null) return null;
  const d = treatment.rate - control.rate;
  const low = d - Math.sqrt((treatment.rate - treatment.low!) ** 2 + (control.high! - control.rate) ** 2);
  const high = d + Math.sqrt((treatment.high! - treatment.rate) ** 2 + (control.rate - control.low!) ** 2);
  return { diff: d, low, high };
}

export const EXPERIMENT_METRICS = [
  { key: 'firstContact24h', label: '24小时内首次联系', windowHours: 24, of: 'firstFollowupAt' },
  { key: 'firstContact30d', label: '30天内首次联系', windowHours: 30 * 24, of: 'firstFollowupAt' },
  { key: 'conversion7d', label: '7天内签约', windowHours: 7 * 24, of: 'signedAt' },
] as const;
export type ExperimentMetric = (typeof EXPERIMENT_METRICS)[number]['key'];

export interface ExperimentLead {
  arm: Arm;
  createdAt: number;
  firstFollowupAt: number | null;
  signedAt: number | null;
}

export interface MetricComparison {
  key: ExperimentMetric;
  label: string;
  control: Proportion;
  treatment: Proportion;
  difference: Difference | null;
  /** Both arms have at least the minimum sample of leads old enough to be judged. */
  enough: boolean;
  verdict: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}个百分点`;

/**
 * Each metric over the leads old enough for its window (a lead 3 days old is not judged on 7-day conversion), per arm,
 * with the difference and a plain-language verdict.
 */
export function compareArms(leads: ExperimentLead[], now: number, minSample: number): MetricComparison[] {
  return EXPERIMENT_METRICS.map((m) => {
    const windowMs = m.windowHours * 3_600_000;
    const count = (arm: Arm) => {
      const judged = leads.filter((l) => l.arm === arm && now - l.createdAt >= windowMs);
      const hit = judged.filter((l) => l[m.of] !== null && l[m.of]! - l.createdAt <= windowMs).length;
      return proportion(hit, judged.length);
    };
    const control = count('control');
    const treatment = count('treatment');
    const d = difference(treatment, control);
    const enough = control.n >= minSample && treatment.n >= minSample;
    let verdict: string;
    if (!enough || !d)
      verdict = `样本不足：每组至少 ${minSample} 条满${m.windowHours >= 48 ? `${m.windowHours / 24}天` : `${m.windowHours}小时`}的线索（现在 新规则 ${treatment.n} / 旧规则 ${control.n}）`;
    else if (d.low > 0) verdict = `新规则更好：${pct(treatment.rate!)} 对 ${pct(control.rate!)}（${pts(d.diff)}，95%区间 ${pts(d.low)} ~ ${pts(d.high)}）`;
    else if (d.high < 0) verdict = `新规则更差：${pct(treatment.rate!)} 对 ${pct(control.rate!)}（${pts(d.diff)}，95%区间 ${pts(d.low)} ~ ${pts(d.high)}）`;
    else verdict = `尚无显著差异：${pct(treatment.rate!)} 对 ${pct(control.rate!)}（95%区间 ${pts(d.low)} ~ ${pts(d.high)}）`;
    return { key: m.key, label: m.label, control, treatment, difference: d, enough, verdict };
  });
}

/**
 * The stopping rule for harm: with enough leads in both arms, the new rules' 24-hour first-contact rate is at least
 * `harmPoints` below the old rules' and the whole confidence interval of the difference is below zero.
 */
export function harmFound(c: MetricComparison, harmPoints: number): boolean {
  return c.enough && !!c.difference && c.difference.high < 0 && c.difference.diff <= -harmPoints;
}
