/** Script templates: variables filled from the lead, and the ranking used when no model is configured. */
export interface ScriptVars {
  称呼?: string | null;
  课程?: string | null;
  顾问?: string | null;
  年级?: string | null;
  城市?: string | null;
}

/**
 * Fills {称呼} {课程} {顾问} {年级} {城市}; a missing value gets a neutral word rather than a raw brace ({年级} simply
 * drops out: 「新出了{年级}复习资料」 reads well either way). {城市} is the customer's city, never the rep's.
 */
export function fillScript(text: string, vars: ScriptVars): string {
  const fallback: Record<string, string> = { 称呼: '家长', 课程: '课程', 顾问: '顾问', 年级: '', 城市: '本地' };
  return text.replace(/\{(称呼|课程|顾问|年级|城市)\}/g, (_, k: keyof ScriptVars) => (vars[k] ?? '').trim() || fallback[k]);
}

/** {课程}: the company's course answering the customer's first concern that has one (a course name, e.g. 数学提分班). */
export function courseForConcerns(concerns: string[], courses: { name: string; concern: string }[]): string | null {
  for (const c of concerns) {
    const course = courses.find((x) => x.concern === c);
    if (course) return course.name;
  }
  return null;
}

export interface RankableScript {
  id: number;
  concern: string | null;
  journeyNode: string | null;
  tags: string[];
  sendCount: number;
  progressCount: number;
}

/**
 * Library-first suggestion: scripts for the lead's concern and journey node first, then by how often a
 * send was followed by progress (smoothed so a new script is not buried by one lucky send).
 */
export function rankScripts<T extends RankableScript>(scripts: T[], lead: { concerns: string[]; journeyNode: string; tags?: string[] }, limit = 3): T[] {
  const score = (s: T) => {
    let v = 0;
    if (s.concern && lead.concerns.includes(s.concern)) v += 4;
    if (s.concern === null) v += 1;
    if (s.journeyNode === lead.journeyNode) v += 3;
    if (s.journeyNode === null) v += 0.5;
    v += s.tags.filter((t) => lead.tags?.includes(t)).length;
    v += (s.progressCount + 1) / (s.sendCount + 3);
    return v;
  };
  return [...scripts].sort((a, b) => score(b) - score(a) || a.id - b.id).slice(0, limit);
}
