/** Supervisor warnings grouped per rep: one line per rep instead of one card per lead. */
export interface HighRiskItem {
  repName: string;
  grade: string;
  leadName: string;
}

export function groupHighRisk(
  items: HighRiskItem[],
  hours: number | ((grade: string) => number),
): { repName: string; count: number; line: string; leads: string[] }[] {
  const hoursOf = typeof hours === 'number' ? () => hours : hours;
  const byRep = new Map<string, HighRiskItem[]>();
  for (const it of items) byRep.set(it.repName, [...(byRep.get(it.repName) ?? []), it]);
  return [...byRep.entries()]
    .map(([repName, xs]) => {
      const grades = [...new Set(xs.map((x) => x.grade))].join('/');
      const h = [...new Set(xs.map((x) => hoursOf(x.grade)))].sort((a, b) => a - b).join('/');
      return { repName, count: xs.length, leads: xs.map((x) => x.leadName), line: `${repName}有 ${xs.length} 条${grades}线索超过 ${h} 小时未跟进` };
    })
    .sort((a, b) => b.count - a.count || a.repName.localeCompare(b.repName, 'zh'));
}

/** "3小时" / "2天5小时": how old a lead is, for a card. */
export function ageLabel(ms: number): string {
  const h = Math.max(0, Math.floor(ms / 3_600_000));
  if (h < 1) return `${Math.max(0, Math.floor(ms / 60_000))}分钟`;
  if (h < 48) return `${h}小时`;
  return `${Math.floor(h / 24)}天${h % 24 ? `${h % 24}小时` : ''}`;
}
