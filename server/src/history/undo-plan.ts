import type { EntityManager } from 'typeorm';
import { revertibleFor } from './revertible';

/** An audit row as undo reads it (values decoded). */
export interface AuditEntry {
  id: number;
  entity: string;
  entityId: number;
  action: string;
  field: string;
  before: unknown;
  after: unknown;
  actorId: number | null;
  at: number;
  requestId: string | null;
}

/** What an undo does to one field of one record ('*' = the record's creation). */
export interface Revert {
  key: string;
  entity: string;
  entityId: number;
  field: string;
  /** The value the selected changes left (undo expects to find it). */
  expected: unknown;
  /** The value before the first selected change (undo writes it back). */
  target: unknown;
  /** What is stored now (for a creation: the whole record). */
  current: unknown;
  /** Changes to the same field (or, for a creation, the record) by changes outside the selection after the first selected one. */
  laterChanges: { actorId: number | null; at: number; field: string }[];
}

export interface UndoPlan {
  reverts: Revert[];
  /** Reverts that would overwrite a later change: done only when the admin chooses so, per key. */
  conflicts: Revert[];
  /** Records gone from the database or with nothing to write back, per `entity.field`. */
  skipped: Record<string, number>;
}

export const sameValue = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const dec = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

/** Audit rows of the selection, oldest first. */
export function decode(rows: Record<string, unknown>[]): AuditEntry[] {
  return rows.map((r) => ({
    id: Number(r.id),
    entity: String(r.entity),
    entityId: Number(r.entityId),
    action: String(r.action),
    field: String(r.field),
    before: dec(r.before as string | null),
    after: dec(r.after as string | null),
    actorId: r.actorId == null ? null : Number(r.actorId),
    at: Number(r.at),
    requestId: (r.requestId as string | null) ?? null,
  }));
}

interface Group {
  entity: string;
  entityId: number;
  field: string;
  first: AuditEntry;
  last: AuditEntry;
  ids: Set<number>;
}

function groupByField(selected: AuditEntry[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const e of selected) {
    const key = `${e.entity}:${e.entityId}:${e.field}`;
    const g = groups.get(key);
    if (g) {
      g.last = e;
      g.ids.add(e.id);
    } else groups.set(key, { entity: e.entity, entityId: e.entityId, field: e.field, first: e, last: e, ids: new Set([e.id]) });
  }
  return groups;
}

/** Audit rows after `minId` of the given records, outside the selection. */
async function laterRows(em: EntityManager, companyId: number, entity: string, ids: number[], minId: number, selected: Set<number>) {
  const out: AuditEntry[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    const rows = await em.query(
      `SELECT id, entity, entityId, action, field, NULL AS \`before\`, NULL AS \`after\`, actorId, at, requestId FROM audit_log
        WHERE companyId = ? AND entity = ? AND entityId IN (${part.map(() => '?').join(', ')}) AND id > ?
          AND action IN ('create', 'update', 'delete', 'restore')`,
      [companyId, entity, ...part, minId],
    );
    out.push(...decode(rows).filter((r) => !selected.has(r.id)));
  }
  return out;
}

/**
 * What reverting the selected audit rows means now: per record and field, the value before the first selected change
 * goes back, provided the field still holds what the last selected change left and nobody outside the selection changed
 * it since. Anything else is a conflict, reported and left alone unless the admin picks it.
 */
export async function planUndo(em: EntityManager, companyId: number, selected: AuditEntry[], lock: boolean): Promise<UndoPlan> {
  const groups = groupByField(selected);
  const selectedIds = new Set(selected.map((e) => e.id));
  const plan: UndoPlan = { reverts: [], conflicts: [], skipped: {} };
  const byEntity = new Map<string, Group[]>();
  for (const g of groups.values()) byEntity.set(g.entity, [...(byEntity.get(g.entity) ?? []), g]);

  for (const [entity, list] of byEntity) {
    const rec = revertibleFor(em, entity);
    const usable = list.filter((g) => rec && (g.field === '*' ? g.first.action === 'create' : rec.writable(g.field)));
    for (const g of list) if (!usable.includes(g)) bump(plan.skipped, `${entity}.${g.field}`);
    if (!rec || !usable.length) continue;
    const ids = [...new Set(usable.map((g) => g.entityId))];
    const current = await rec.read(em, companyId, ids, lock);
    const minId = Math.min(...usable.map((g) => g.first.id));
    const later = await laterRows(em, companyId, entity, ids, minId, selectedIds);
    for (const g of usable) {
      const row = current.get(g.entityId);
      if (!row) {
        bump(plan.skipped, `${entity}.${g.field}`);
        continue;
      }
      const creation = g.field === '*';
      const laterChanges = later
        .filter((l) => l.entityId === g.entityId && l.id > g.first.id && (creation || l.field === g.field))
        .map((l) => ({ actorId: l.actorId, at: l.at, field: l.field }));
      const revert: Revert = {
        key: `${entity}:${g.entityId}:${g.field}`,
        entity,
        entityId: g.entityId,
        field: g.field,
        expected: creation ? null : g.last.after,
        target: creation ? null : g.first.before,
        current: creation ? row : row[g.field],
        laterChanges,
      };
      const conflict = laterChanges.length > 0 || (!creation && !sameValue(revert.current, revert.expected));
      if (!creation && sameValue(revert.current, revert.target)) continue; // already as it was
      (conflict ? plan.conflicts : plan.reverts).push(revert);
    }
  }
  return plan;
}
