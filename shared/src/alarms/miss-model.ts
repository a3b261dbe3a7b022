/**
 * Predicted misses (docs/alarms.md, "Learned early warning"): from a company's own history, the chance that a lead of a
 * grade signs when it is still untouched after h hours. The early warning fires at the first h where that chance has
 * fallen below `ratio` of the grade's usual chance — learned per company instead of the fixed "初三 untouched 36 h".
 * Pure: the server feeds it history; the dashboard draws its curves.
 */
export const MISS_HOURS = [0, 6, 12, 18, 24, 30, 36, 42, 48, 60, 72] as const;
/** A point of the curve counts only with this many leads still untouched at that hour. */
export const MISS_MIN_LEADS = 30;

export interface MissHistoryLead {
  segment: string;
  createdAt: number;
  firstFollowupAt: number | null;
  signed: boolean;
}

export interface MissPoint {
  hours: number;
  /** Leads still untouched after `hours`. */
  n: number;
  /** Of those, the share that signed; null below the minimum. */
  chance: number | null;
}

export interface MissCurve {
  segment: string;
  leads: number;
  /** Chance to sign of all the segment's leads (hour 0). */
  baseline: number | null;
  points: MissPoint[];
  /** First hour whose chance is below ratio × baseline; null: never within the curve, or not enough history. */
  warnHours: number | null;
}

const HOUR = 3_600_000;

export function missCurves(history: MissHistoryLead[], ratio: number, minLeads = MISS_MIN_LEADS): MissCurve[] {
  const segments = [...new Set(history.map((l) => l.segment))].sort();
  return segments.map((segment) => {
    const mine = history.filter((l) => l.segment === segment);
    const points = MISS_HOURS.map((hours) => {
      const still = mine.filter((l) => l.firstFollowupAt === null || l.firstFollowupAt - l.createdAt >= hours * HOUR);
      const signed = still.filter((l) => l.signed).length;
      return { hours, n: still.length, chance: still.length >= minLeads ? signed / still.length : null };
    });
    const baseline = points[0].chance;
    const warn = baseline ? points.find((p) => p.hours > 0 && p.chance !== null && p.chance < ratio * baseline) : undefined;
    return { segment, leads: mine.length, baseline, points, warnHours: warn?.hours ?? null };
  });
}
