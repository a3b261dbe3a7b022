import { channelKey } from '../scoring';

/** What a rule can look at: the lead as it is when it arrives (after attribution and scoring). */
export interface LeadFacts {
  city?: string | null;
  province?: string | null;
  grade?: string | null;
  channel?: string | null;
  score: number;
}

/** One ordered rule: every condition that is set must hold. Empty lists mean "any". */
export interface RoutingRule {
  name: string;
  cities?: string[];
  grades?: string[];
  /** Channel kinds, compared like score weights: `抖音直播` matches `抖音-202601直播`. */
  channels?: string[];
  minScore?: number;
  maxScore?: number;
  poolId: number;
  /** KA mode (双人协同): every lead this rule routes gets this person as co-owner (a senior or KA manager). */
  coOwnerId?: number;
  /** A lead that later crosses into A-level on an intent signal is routed again by the rules, and moved here if this matches. */
  rerouteOnA?: boolean;
}

/** The thresholds that keep one rep from hoarding top leads. */
export interface ProtectiveThreshold {
  /** A lead at or above this score counts as a top lead. */
  minScore: number;
  /** A rep holds at most this many open top leads; the next top lead goes elsewhere or to the rotation queue. */
  maxPerRep: number;
}

export const DEFAULT_PROTECTIVE: ProtectiveThreshold = { minScore: 85, maxPerRep: 5 };

export interface RuleSetBody {
  rules: RoutingRule[];
  defaultPoolId: number;
  protective: ProtectiveThreshold;
}

export interface RuleMatch {
  /** 0-based position of the rule, or -1 for the default pool. */
  index: number;
  rule: RoutingRule | null;
  poolId: number;
  /** Why it matched, in words a supervisor reads. */
  reason: string;
}

function ruleHolds(rule: RoutingRule, f: LeadFacts): boolean {
  if (rule.cities?.length && !(f.city && rule.cities.includes(f.city))) return false;
  if (rule.grades?.length && !(f.grade && rule.grades.includes(f.grade))) return false;
  if (rule.channels?.length) {
    const key = f.channel ? channelKey(f.channel) : '';
    if (!key || !rule.channels.some((c) => key.includes(channelKey(c)))) return false;
  }
  if (rule.minScore !== undefined && f.score < rule.minScore) return false;
  if (rule.maxScore !== undefined && f.score > rule.maxScore) return false;
  return true;
}

function describeRule(rule: RoutingRule): string {
  const parts: string[] = [];
  if (rule.cities?.length) parts.push(`城市∈{${rule.cities.join('、')}}`);
  if (rule.grades?.length) parts.push(`年级∈{${rule.grades.join('、')}}`);
  if (rule.channels?.length) parts.push(`渠道∈{${rule.channels.join('、')}}`);
  if (rule.minScore !== undefined) parts.push(`评分≥${rule.minScore}`);
  if (rule.maxScore !== undefined) parts.push(`评分≤${rule.maxScore}`);
  return parts.length ? parts.join(' 且 ') : '任意线索';
}

/** Ordered rules, first match wins; nothing matching goes to the default pool. */
export function matchRule(set: Pick<RuleSetBody, 'rules' | 'defaultPoolId'>, facts: LeadFacts): RuleMatch {
  for (let i = 0; i < set.rules.length; i++) {
    const rule = set.rules[i];
    if (ruleHolds(rule, facts)) {
      return { index: i, rule, poolId: rule.poolId, reason: `命中第${i + 1}条规则「${rule.name}」（${describeRule(rule)}）` };
    }
  }
  return { index: -1, rule: null, poolId: set.defaultPoolId, reason: '没有规则命中，进入默认线索池' };
}
