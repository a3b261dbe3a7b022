import type { EntityManager } from 'typeorm';
import { JOURNEY_NODES, journeyIndex, type DrillLead, type DrillResponse, type HeatCell, type HeatDimension, type JourneyHeatResponse } from '@lifeline/shared';
import type { Actor } from '../auth/actor';
import { phoneFor } from '../customers/phone-visibility';
import { badRequest } from '../http/errors';
import { factWhere, type ResolvedScope } from './scope';
import { sourceFor } from './source';
import { marks, num, numOrNull } from './sql';

const HOUR = 3600_000;
/** Labels for facts without a value, so every lead lands in some cell. */
const UNKNOWN_LABEL: Record<HeatDimension, string> = { city: '未填写', grade: '未填写', channel: '未填写', unit: '未分配' };
const COLUMN: Record<HeatDimension, string> = { city: 'f.city', grade: 'f.grade', channel: 'f.channel', unit: 'f.orgUnitId' };
/** No value: NULL in facts, '' (attributes) or 0 (unit) in the rollup; an empty string counts as none too. */
const isUnknown = (v: unknown) => v === null || v === undefined || v === '' || (typeof v !== 'string' && Number(v) === 0);

async function unitNames(em: EntityManager, companyId: number): Promise<Map<number, string>> {
  const rows: { id: number; name: string }[] = await em.query('SELECT id, name FROM org_unit WHERE companyId = ?', [companyId]);
  return new Map(rows.map((r) => [Number(r.id), r.name]));
}

/** Mean hours per journey node over completed stays, by city / grade / channel / the owner's team. */
export async function computeJourneyHeat(em: EntityManager, actor: Actor, s: ResolvedScope, by: HeatDimension, now: number): Promise<JourneyHeatResponse> {
  const src = sourceFor(s, actor.settings.levelA, s, by === 'unit' ? {} : { groupBy: by });
  const col = by === 'unit' ? 'f.orgUnitId' : src.attr(by);
  const sums = JOURNEY_NODES.map((_, i) => `${src.sum(`stayMs${i}`)} AS ms${i}, ${src.sum(`stays${i}`)} AS n${i}`).join(', ');
  const [rows, names]: [Record<string, unknown>[], Map<number, string> | null] = await Promise.all([
    em.query(
      `SELECT ${col} AS v, ${src.sum('leads')} AS leads, ${sums}, MAX(f.updatedAt) AS updatedAt FROM ${src.from} GROUP BY ${col} HAVING ${src.sum('leads')} > 0`,
      src.params,
    ),
    by === 'unit' ? unitNames(em, actor.companyId) : null,
  ]);
  const label = (v: unknown) => (isUnknown(v) ? UNKNOWN_LABEL[by] : names ? (names.get(Number(v)) ?? `#${v}`) : String(v));
  // Units with the same name (or unknown values) merge into one labelled column.
  const merged = new Map<string, { leads: number; ms: number[]; n: number[] }>();
  let updatedAt: number | null = null;
  for (const r of rows) {
    const key = label(r.v);
    const m = merged.get(key) ?? { leads: 0, ms: JOURNEY_NODES.map(() => 0), n: JOURNEY_NODES.map(() => 0) };
    m.leads += num(r.leads);
    JOURNEY_NODES.forEach((_, i) => {
      m.ms[i] += num(r[`ms${i}`]);
      m.n[i] += num(r[`n${i}`]);
    });
    merged.set(key, m);
    const u = numOrNull(r.updatedAt);
    if (u !== null && (updatedAt === null || u > updatedAt)) updatedAt = u;
  }
  const values = [...merged.entries()].sort((a, b) => b[1].leads - a[1].leads || a[0].localeCompare(b[0], 'zh-CN')).map(([v]) => v);
  const cells: HeatCell[] = [];
  for (const value of values) {
    const m = merged.get(value)!;
    JOURNEY_NODES.forEach((node, i) => {
      cells.push({ value, node, avgHours: m.n[i] ? m.ms[i] / m.n[i] / HOUR : null, stays: m.n[i] });
    });
  }
  return { scope: s.scope, updatedAt, computedAt: now, by, nodes: [...JOURNEY_NODES], values, cells };
}

/**
 * The leads behind a heat cell (by + value + node: leads with completed stays in that node, hours = their
 * mean stay there) or behind a node (node only: leads now in it, hours since they entered it).
 */
export async function computeDrill(
  em: EntityManager,
  actor: Actor,
  s: ResolvedScope,
  q: { node: string; by?: HeatDimension; value?: string; page: number; pageSize: number },
  now: number,
): Promise<DrillResponse & { scope: ResolvedScope['scope'] }> {
  const i = journeyIndex(q.node);
  if (i < 0) throw badRequest(`旅程节点「${q.node}」不存在，可选：${JOURNEY_NODES.join('、')}`);
  if ((q.by === undefined) !== (q.value === undefined)) throw badRequest('按分组下钻时请同时提供分组（by）和分组值（value）');
  const w = factWhere(s, s.start, s.end);
  const cond = [w.sql];
  const params = [...w.params];
  // The same cell on the rollup (for the total): a shape-matching dim or unit condition and a per-node measure.
  const src = sourceFor(s, actor.settings.levelA, s, q.by && q.by !== 'unit' ? { groupBy: q.by } : {});
  const totalCond: string[] = [];
  const totalParams: unknown[] = [];
  let hours: string;
  if (q.by !== undefined && q.value !== undefined) {
    cond.push(`f.stays${i} > 0`);
    hours = `f.stayMs${i} AS ms, f.stays${i} AS n`;
    const unknown = q.value === UNKNOWN_LABEL[q.by];
    if (q.by === 'unit') {
      const ids = unknown ? [] : [...(await unitNames(em, actor.companyId))].filter(([, n]) => n === q.value).map(([id]) => id);
      const inIds = ids.length ? `f.orgUnitId IN (${marks(ids.length)})` : '1=0';
      cond.push(unknown ? 'f.orgUnitId IS NULL' : inIds);
      params.push(...ids);
      totalCond.push(unknown ? (src.rollup ? 'f.orgUnitId = 0' : 'f.orgUnitId IS NULL') : inIds);
      totalParams.push(...ids);
    } else if (unknown) {
      cond.push(`(${COLUMN[q.by]} IS NULL OR ${COLUMN[q.by]} = '')`);
      totalCond.push(`${src.attr(q.by)} = ''`);
    } else {
      cond.push(`${COLUMN[q.by]} = ?`);
      params.push(q.value);
      totalCond.push(`${src.attr(q.by)} = ?`);
      totalParams.push(q.value);
    }
  } else {
    cond.push('f.journeyNode = ?');
    params.push(q.node);
    hours = `CASE WHEN f.nodeEnteredAt IS NULL THEN NULL ELSE ${Number(now)} - f.nodeEnteredAt END AS ms, 1 AS n`;
  }
  const where = cond.join(' AND ');
  const measure = q.by !== undefined ? `stayLeads${i}` : `inNode${i}`;
  const [[{ total }], rows]: [{ total: unknown }[], Record<string, unknown>[]] = await Promise.all([
    em.query(`SELECT ${src.sum(measure)} AS total FROM ${src.from}${totalCond.map((c) => ` AND ${c}`).join('')}`, [...src.params, ...totalParams]),
    em.query(
      `SELECT f.leadId, f.channel, f.journeyNode, ${hours}, c.name AS customerName, c.phone, u.name AS ownerName
       FROM lead_fact f JOIN customer c ON c.id = f.customerId LEFT JOIN app_user u ON u.id = f.ownerId
      WHERE ${where} ORDER BY f.enteredAt DESC, f.leadId DESC LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}`,
      params,
    ),
  ]);
  const items: (DrillLead & { timeline: string })[] = rows.map((r) => ({
    leadId: Number(r.leadId),
    customerName: (r.customerName as string | null) ?? null,
    phone: phoneFor(actor, String(r.phone)).phone,
    ownerName: (r.ownerName as string | null) ?? null,
    channel: String(r.channel),
    journeyNode: String(r.journeyNode),
    hoursInNode: r.ms === null || r.ms === undefined ? null : Number(r.ms) / Number(r.n) / HOUR,
    timeline: `/api/leads/${Number(r.leadId)}/timeline`,
  }));
  return { scope: s.scope, total: num(total), items };
}
