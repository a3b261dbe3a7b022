import type { KpiId } from './definitions';

/** A ratio or mean with the counts behind it, so a manager (and a test) can check the arithmetic. */
export interface KpiValue {
  id: KpiId;
  /** Ratio 0..1 or hours; null when there is nothing to measure yet. */
  value: number | null;
  numerator: number;
  denominator: number;
  target: number;
  red: boolean;
}

export interface MetricsScope {
  from: string;
  to: string;
  /** What the caller's role limits them to, e.g. 'own' for a rep. */
  limitedTo: 'company' | 'subtree' | 'own';
}

interface Stamped {
  scope: MetricsScope;
  /** Epoch ms of the newest event reflected in these figures (null when there is none). */
  updatedAt: number | null;
  /** Epoch ms when the figures were computed. */
  computedAt: number;
}

export interface KpisResponse extends Stamped {
  kpis: Record<KpiId, KpiValue>;
  leads: number;
}

interface NodeLoss {
  node: string;
  /** Leads that reached this node (or beyond). */
  reached: number;
  /** Leads marked lost while at this node. */
  lost: number;
}

export interface TrendPoint {
  /** China-time day (YYYY-MM-DD) or ISO week start when the range is long. */
  period: string;
  leads: number;
  survival7d: number | null;
  highIntentShare: number | null;
}

export interface LeadHealthResponse extends Stamped {
  leads: number;
  survival7d: KpiValue;
  highIntent: { count: number; share: number | null; levelA: number };
  nodes: NodeLoss[];
  trend: TrendPoint[];
}

export interface RepRow {
  repId: number;
  name: string;
  unitName: string | null;
  backlog: number;
  overdue: number;
  followup48h: KpiValue;
  /** Signed / reached 试听体验, among the rep's leads in range. */
  trialConversion: { value: number | null; trials: number; signed: number };
  scriptsUsed: number;
  /** Open leads this rep is KA co-owner of (双人协同), shown apart: the KPIs above count the owner only. */
  coOwned: number;
}

export interface RepBattleResponse extends Stamped {
  threshold48h: number;
  reps: RepRow[];
}

export interface ChannelRow {
  channel: string;
  leads: number;
  /** Yuan spent in the months the range covers; null when no spend was entered. */
  spend: number | null;
  costPerLead: number | null;
  retention7d: KpiValue;
  signed: number;
  /** Mean days from entry to signing, over signed leads. */
  firstDealDays: number | null;
  /**
   * Yuan: money finance reported for the channel's leads (回款 events), plus the list price of the signed course of
   * each signed lead finance has reported nothing for (null when such a course has no price set).
   */
  revenue: number | null;
  /** Yuan of `revenue` that finance reported (回款 events); the rest is list prices. */
  revenuePaid: number;
  /** Spend ÷ signings. */
  costPerSigning: number | null;
  /** Revenue ÷ spend: 2.5 = every yuan spent came back 2.5 times; below 1 the channel lost money. */
  roi: number | null;
}

export interface ChannelRoiResponse extends Stamped {
  months: string[];
  channels: ChannelRow[];
  /**
   * `company`: spend as entered, for the whole company. `share`: the view covers part of the company (a supervisor's
   * teams, a unit, a rep, a city or grade), so each channel's spend is its share by leads: company spend × the
   * view's leads ÷ the company's leads of that channel. Cost per lead then equals the company's, never a figure
   * dividing company spend by a team's leads.
   */
  spendBasis: 'company' | 'share';
}

export interface HeatCell {
  value: string;
  node: string;
  /** Mean hours spent in the node over completed stays; null when none. */
  avgHours: number | null;
  stays: number;
}

export interface JourneyHeatResponse extends Stamped {
  by: 'city' | 'grade' | 'channel' | 'unit';
  nodes: string[];
  values: string[];
  cells: HeatCell[];
}

export interface DrillLead {
  leadId: number;
  customerName: string | null;
  /** Masked unless the role sees full numbers. */
  phone: string;
  ownerName: string | null;
  channel: string;
  journeyNode: string;
  hoursInNode: number | null;
}

export interface DrillResponse {
  total: number;
  items: DrillLead[];
}

/** One rep's mean hours per journey node (completed stays of the leads they own now) and the stays behind each. */
export interface RepStageTimes {
  repId: number;
  name: string;
  hours: (number | null)[];
  stays: number[];
}

/** 「张敏在方案提供环节平均比团队慢2.3天」: a rep notably slower or faster than the team in one node. */
export interface StageCallout {
  repId: number;
  name: string;
  node: string;
  /** Rep mean minus team mean, days (positive: slower). */
  diffDays: number;
  text: string;
}

export interface SigningDays {
  value: string;
  signed: number;
  /** Mean days from enquiry (entry) to signing. */
  days: number;
}

/** 团队 page: time per journey stage by rep against the team average, and days from enquiry to signing by city and centre. */
export interface TeamInsightsResponse extends Stamped {
  nodes: string[];
  teamHours: (number | null)[];
  teamStays: number[];
  reps: RepStageTimes[];
  callouts: StageCallout[];
  signingDays: { byCity: SigningDays[]; byCentre: SigningDays[] };
}
