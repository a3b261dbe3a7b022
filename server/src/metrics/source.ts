import type { EntityManager } from 'typeorm';
import { chinaDayOf } from '@lifeline/shared';
import { factWhere, type ResolvedScope } from './scope';
import { measures, type Attribute } from './rollup';
import { num } from './sql';

/**
 * Where a dashboard query sums its measures: the rollup when its filter and grouping use at most one attribute
 * (city / grade / channel), else the facts themselves. Both give the same sums (rollup.ts defines each measure once
 * for both); the rollup reads a few hundred rows per month instead of every lead.
 */
export interface Source {
  rollup: boolean;
  /** `FROM … f WHERE …` with its parameters. */
  from: string;
  params: unknown[];
  /** SUM of a measure named in rollup.ts. */
  sum: (measure: string) => string;
  /** Column expressions to group by. */
  day: string;
  attr: (a: Attribute) => string;
}

/** Whether rollups may be read (tests compare both paths; METRICS_ROLLUPS=off reads facts only). */
export const rollupsEnabled = { value: process.env.METRICS_ROLLUPS !== 'off' };

export function attributesOf(s: ResolvedScope): Attribute[] {
  return (['city', 'grade', 'channel'] as const).filter((k) => s.filter[k] !== undefined);
}

/**
 * The source for entries in [start, end) (China-day bounds) under the scope, optionally grouped by an attribute,
 * with extra conditions on ownerId / orgUnitId (same column names in both tables).
 */
export function sourceFor(
  s: ResolvedScope,
  levelA: number,
  range: { start: number; end: number },
  opts: { groupBy?: Attribute; extra?: { sql: string; params: unknown[] } } = {},
): Source {
  const attrs = [...new Set([...attributesOf(s), ...(opts.groupBy ? [opts.groupBy] : [])])];
  const extra = opts.extra ? { sql: [opts.extra.sql], params: opts.extra.params } : { sql: [], params: [] };
  const defs = new Map(measures(levelA).map((m) => [m.name, m.sql]));
  if (rollupsEnabled.value && attrs.length <= 1) {
    const shape = attrs[0] ?? 'all';
    const cond = ['f.companyId = ?', 'f.shape = ?', 'f.day >= ?', 'f.day <= ?', ...s.people.sql, ...extra.sql];
    const params: unknown[] = [s.companyId, shape, chinaDayOf(range.start), chinaDayOf(range.end - 1), ...s.people.params, ...extra.params];
    if (attrs.length && s.filter[shape as Attribute] !== undefined) {
      cond.push('f.dim = ?');
      params.push(s.filter[shape as Attribute]);
    }
    return {
      rollup: true,
      from: `lead_rollup f WHERE ${cond.join(' AND ')}`,
      params,
      sum: (m) => `SUM(f.${m})`,
      day: 'f.day',
      attr: () => 'f.dim',
    };
  }
  const w = factWhere(s, range.start, range.end);
  return {
    rollup: false,
    from: `lead_fact f WHERE ${[w.sql, ...extra.sql].join(' AND ')}`,
    params: [...w.params, ...extra.params],
    sum: (m) => {
      const sql = defs.get(m);
      if (sql === undefined) throw new Error(`unknown measure ${m}`);
      return `SUM(${sql})`;
    },
    day: 'f.enteredDay',
    attr: (a) => (a === 'channel' ? 'f.channel' : `COALESCE(f.${a}, '')`),
  };
}

export type Window = 's7' | 'f24' | 'f48';
export type PendingGroup = 'day' | 'owner' | 'channel';
const GROUP_SQL: Record<PendingGroup, string> = { day: 'f.enteredDay', owner: 'f.ownerId', channel: 'f.channel' };

/**
 * Leads in scope still inside a KPI window and untouched at `now` (not yet counted either way), per window and
 * optional group. Read from the facts by the pending-until indexes: only such leads are visited.
 */
export async function pendingCounts(
  em: EntityManager,
  s: ResolvedScope,
  range: { start: number; end: number },
  windows: Window[],
  now: number,
  opts: { groupBy?: PendingGroup; extra?: { sql: string; params: unknown[] } } = {},
): Promise<Map<Window, Map<string, number>>> {
  const w = factWhere(s, range.start, range.end);
  const g = opts.groupBy ? GROUP_SQL[opts.groupBy] : "''";
  const extra = opts.extra ? ` AND ${opts.extra.sql}` : '';
  const parts = windows.map(
    (k) => `SELECT '${k}' AS k, ${g} AS g, COUNT(*) AS n FROM lead_fact f
     WHERE f.${k}PendingUntil > ? AND ${w.sql}${extra} GROUP BY ${g}`,
  );
  const rows: { k: Window; g: unknown; n: unknown }[] = windows.length
    ? await em.query(
        parts.join(' UNION ALL '),
        windows.flatMap(() => [now, ...w.params, ...(opts.extra?.params ?? [])]),
      )
    : [];
  const out = new Map<Window, Map<string, number>>(windows.map((k) => [k, new Map()]));
  for (const r of rows) out.get(r.k)!.set(String(r.g ?? ''), num(r.n));
  return out;
}

/** The total of one window's pending counts (ungrouped query). */
export const pendingTotal = (p: Map<Window, Map<string, number>>, k: Window) => [...(p.get(k)?.values() ?? [])].reduce((a, b) => a + b, 0);
