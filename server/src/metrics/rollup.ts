import type { EntityManager } from 'typeorm';
import { JOURNEY_NODES, OPEN_LEAD_STATUSES, journeyIndex } from '@lifeline/shared';
import { marks } from './sql';
import { dbKindOf } from '../db/kind';

/**
 * Pre-aggregated lead facts per China-time entry day, owner and team, in four shapes: `all` (no attribute) and one
 * per filterable attribute (`city`, `grade`, `channel` in `dim`). A dashboard whose filter and grouping use at most
 * one attribute sums a few hundred of these rows instead of tens of thousands of facts (see source.ts). A fifth
 * shape, `open`, holds the open leads (assigned / following) per owner and team whatever their entry day (day 0):
 * the battle map's backlog.
 *
 * Each fact change applies its delta (old contribution out, new in) in the change's own transaction, so the rollup
 * is as live as the facts. Every measure is defined once here as a per-fact SQL expression and as the same rule in
 * TypeScript: the SQL rebuilds the rollup (migration, A-level threshold change), the TypeScript gives the deltas,
 * and a test checks that the maintained rollup equals a rebuild after random history.
 */
const SHAPES = ['all', 'city', 'grade', 'channel', 'open'] as const;
type Shape = (typeof SHAPES)[number];
export type Attribute = 'city' | 'grade' | 'channel';
const OPEN = new Set<string>(OPEN_LEAD_STATUSES);
const isOpen = (f: Record<string, unknown>) => OPEN.has(String(f.status));

type Fact = Record<string, unknown>;
interface Measure {
  name: string;
  sql: string;
  of: (f: Fact) => number;
}

const TRIAL = journeyIndex('试听体验');
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const b = (x: boolean) => (x ? 1 : 0);
const flowOk = (f: Fact) => n(f.assignedAt) !== null && n(f.firstTouchAt) !== null && n(f.firstTouchAt)! >= n(f.assignedAt)!;
const FLOW_OK = 'f.assignedAt IS NOT NULL AND f.firstTouchAt IS NOT NULL AND f.firstTouchAt >= f.assignedAt';
const when = (cond: string, then = '1') => `CASE WHEN ${cond} THEN ${then} ELSE 0 END`;

/** Measures that do not depend on the A-level threshold. */
const BASE: Measure[] = [
  { name: 'leads', sql: '1', of: () => 1 },
  // A lead hits a KPI window exactly when it has no pending-until time (see factRow).
  { name: 's7hit', sql: when('f.s7PendingUntil IS NULL'), of: (f) => b(n(f.s7PendingUntil) === null) },
  { name: 'f24hit', sql: when('f.f24PendingUntil IS NULL'), of: (f) => b(n(f.f24PendingUntil) === null) },
  { name: 'f48hit', sql: when('f.f48PendingUntil IS NULL'), of: (f) => b(n(f.f48PendingUntil) === null) },
  { name: 'flowMs', sql: when(FLOW_OK, 'f.firstTouchAt - f.assignedAt'), of: (f) => (flowOk(f) ? n(f.firstTouchAt)! - n(f.assignedAt)! : 0) },
  { name: 'flowN', sql: when(FLOW_OK), of: (f) => b(flowOk(f)) },
  { name: 'signed', sql: when('f.signedAt IS NOT NULL'), of: (f) => b(n(f.signedAt) !== null) },
  {
    name: 'dealMs',
    sql: when('f.signedAt IS NOT NULL', 'f.signedAt - f.enteredAt'),
    of: (f) => (n(f.signedAt) !== null ? n(f.signedAt)! - n(f.enteredAt)! : 0),
  },
  { name: 'signedDM', sql: when('f.signedAt IS NOT NULL AND f.demandMatch IS NOT NULL'), of: (f) => b(n(f.signedAt) !== null && n(f.demandMatch) !== null) },
  { name: 'matched', sql: when('f.signedAt IS NOT NULL AND f.demandMatch = 1'), of: (f) => b(n(f.signedAt) !== null && n(f.demandMatch) === 1) },
  { name: 'trials', sql: when(`f.maxNodeIndex >= ${TRIAL}`), of: (f) => b(Number(f.maxNodeIndex) >= TRIAL) },
  {
    name: 'trialSigned',
    sql: when(`f.maxNodeIndex >= ${TRIAL} AND f.signedAt IS NOT NULL`),
    of: (f) => b(Number(f.maxNodeIndex) >= TRIAL && n(f.signedAt) !== null),
  },
  { name: 'pf', sql: when('f.profilePrimary = 1', 'f.profileFilled'), of: (f) => (Number(f.profilePrimary) === 1 ? Number(f.profileFilled) : 0) },
  { name: 'pr', sql: when('f.profilePrimary = 1', 'f.profileRequired'), of: (f) => (Number(f.profilePrimary) === 1 ? Number(f.profileRequired) : 0) },
  ...JOURNEY_NODES.flatMap((node, i): Measure[] => [
    { name: `reached${i}`, sql: when(`f.maxNodeIndex >= ${i}`), of: (f) => b(Number(f.maxNodeIndex) >= i) },
    { name: `lost${i}`, sql: when(`f.lostNode = '${node}'`), of: (f) => b(f.lostNode === node) },
    { name: `inNode${i}`, sql: when(`f.journeyNode = '${node}'`), of: (f) => b(f.journeyNode === node) },
    { name: `stayMs${i}`, sql: `f.stayMs${i}`, of: (f) => Number(f[`stayMs${i}`]) },
    { name: `stays${i}`, sql: `f.stays${i}`, of: (f) => Number(f[`stays${i}`]) },
    { name: `stayLeads${i}`, sql: when(`f.stays${i} > 0`), of: (f) => b(Number(f[`stays${i}`]) > 0) },
  ]),
];

/** Every measure; `levelA` counts leads scored at or above the company's A-level threshold. */
export function measures(levelA: number): Measure[] {
  const t = Math.trunc(Number(levelA));
  return [...BASE, { name: 'levelA', sql: when(`f.score >= ${t}`), of: (f) => b(Number(f.score) >= t) }];
}
export const MEASURE_NAMES = measures(0).map((m) => m.name);
/** Where the lead count sits in a row's sums (the open shape counts only that). */
const LEADS = MEASURE_NAMES.indexOf('leads');

/** The attribute value a fact is filed under in a shape ('' = none / unknown). */
const DIM_SQL: Record<Shape, string> = { all: "''", city: "COALESCE(f.city, '')", grade: "COALESCE(f.grade, '')", channel: 'f.channel', open: "''" };
const dimOf = (shape: Shape, f: Fact) => (shape === 'all' || shape === 'open' ? '' : String(f[shape] ?? ''));

interface RollupKey {
  companyId: number;
  shape: Shape;
  day: number;
  ownerId: number;
  orgUnitId: number;
  dim: string;
}
/** A rollup row's change: its key, the measures' deltas in MEASURE_NAMES order, and when. */
interface RollupDelta {
  key: RollupKey;
  sums: number[];
  updatedAt: number;
}
const KEY_COLS = ['companyId', 'shape', 'day', 'ownerId', 'orgUnitId', 'dim'] as const;

function keyRows(companyId: number, f: Fact): RollupKey[] {
  return SHAPES.filter((shape) => shape !== 'open' || isOpen(f)).map((shape) => ({
    companyId,
    shape,
    day: shape === 'open' ? 0 : Number(f.enteredDay),
    ownerId: n(f.ownerId) ?? 0,
    orgUnitId: n(f.orgUnitId) ?? 0,
    dim: dimOf(shape, f),
  }));
}
const keyOf = (r: RollupKey) => `${r.shape}\u0001${r.day}\u0001${r.ownerId}\u0001${r.orgUnitId}\u0001${r.dim}`;

/**
 * The rollup rows to add for facts changing from `before` to `after` (either may be absent; deleted facts count for
 * nothing). A row's updatedAt moves when one of its sums does.
 */
export function rollupDeltas(companyId: number, changes: { before: Fact | null; after: Fact | null }[], levelA: number, at: number): RollupDelta[] {
  const ms = measures(levelA);
  // Sums per row key as plain number arrays (each measure evaluated once per fact, not once per shape): objects
  // with 70 dynamic keys were ≈ 1 ms per save, mostly allocation and garbage collection.
  const out = new Map<string, { key: RollupKey; sums: number[] }>();
  const add = (f: Fact | null, sign: number) => {
    if (!f || n(f.deletedAt) !== null) return;
    const values = ms.map((m) => m.of(f));
    for (const key of keyRows(companyId, f)) {
      const k = keyOf(key);
      let row = out.get(k);
      if (!row) out.set(k, (row = { key, sums: new Array<number>(ms.length).fill(0) }));
      // The open shape only counts (the backlog): a change that leaves a lead open leaves its row alone.
      if (key.shape === 'open') row.sums[LEADS] += sign;
      else for (let i = 0; i < values.length; i++) row.sums[i] += sign * values[i];
    }
  };
  for (const c of changes) {
    add(c.before, -1);
    add(c.after, 1);
  }
  // Rows the change leaves as they were are not written (no lock taken), and one lock order for every writer:
  // rows sorted by key, so two saves never wait on each other crosswise.
  return [...out.entries()]
    .filter(([, r]) => r.sums.some((v) => v !== 0))
    .sort(([a], [b2]) => (a < b2 ? -1 : a > b2 ? 1 : 0))
    .map(([, { key, sums }]) => ({ key, sums, updatedAt: at }));
}

/** Adds the deltas (one multi-row upsert per 100 rows); updatedAt keeps the newest. */
export async function applyRollupDeltas(em: EntityManager, rows: RollupDelta[]): Promise<void> {
  if (!rows.length) return;
  const q = (c: string) => `\`${c}\``;
  const mysql = dbKindOf(em) === 'mysql';
  const incoming = (c: string) => (mysql ? `VALUES(${q(c)})` : `excluded.${q(c)}`);
  const set = [
    ...MEASURE_NAMES.map((c) => `${q(c)} = ${q(c)} + ${incoming(c)}`),
    `updatedAt = ${mysql ? 'GREATEST' : 'MAX'}(updatedAt, ${incoming('updatedAt')})`,
  ].join(', ');
  const cols = [...KEY_COLS, ...MEASURE_NAMES, 'updatedAt'];
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    const insert = `INSERT INTO lead_rollup (${cols.map(q).join(', ')}) VALUES ${chunk.map(() => `(${marks(cols.length)})`).join(', ')}`;
    const sql = mysql ? `${insert} ON DUPLICATE KEY UPDATE ${set}` : `${insert} ON CONFLICT (${KEY_COLS.map(q).join(', ')}) DO UPDATE SET ${set}`;
    await em.query(
      sql,
      chunk.flatMap((r) => [...KEY_COLS.map((c) => r.key[c]), ...r.sums, r.updatedAt]),
    );
  }
}

/**
 * Recomputes a company's rollup from its facts (an A-level threshold change; tests compare against it), in the caller's
 * transaction. One INSERT … SELECT per shape.
 */
export async function rebuildRollups(em: EntityManager, companyId: number, levelA: number): Promise<void> {
  const ms = measures(levelA);
  await em.query('DELETE FROM lead_rollup WHERE companyId = ?', [companyId]);
  for (const shape of SHAPES) {
    const day = shape === 'open' ? '0' : 'f.enteredDay';
    const open = shape === 'open' ? ` AND f.status IN (${OPEN_LEAD_STATUSES.map((x) => `'${x}'`).join(', ')})` : '';
    await em.query(
      `INSERT INTO lead_rollup (companyId, shape, day, ownerId, orgUnitId, dim, ${ms.map((m) => `\`${m.name}\``).join(', ')}, updatedAt)
       SELECT f.companyId, '${shape}', ${day}, COALESCE(f.ownerId, 0), COALESCE(f.orgUnitId, 0), ${DIM_SQL[shape]},
              ${ms.map((m) => (shape === 'open' && m.name !== 'leads' ? '0' : `SUM(${m.sql})`)).join(', ')}, MAX(f.updatedAt)
         FROM lead_fact f WHERE f.companyId = ? AND f.deletedAt IS NULL${open}
        GROUP BY f.companyId, ${shape === 'open' ? '' : `${day}, `}COALESCE(f.ownerId, 0), COALESCE(f.orgUnitId, 0), ${DIM_SQL[shape]}`,
      [companyId],
    );
  }
}
