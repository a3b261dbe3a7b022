import type { EntityManager } from 'typeorm';
import { AuditLog, type AuditAction } from './audit-log.entity';
import { insertRowsPlain } from '../db/rows';

export interface AuditContext {
  companyId: number;
  actorId: number | null;
  requestId?: string | null;
  at: number;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

const enc = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The fields of `patch` whose value differs from `current`. */
export function diffFields<T extends object>(current: T, patch: Partial<T>): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [field, after] of Object.entries(patch)) {
    if (after === undefined) continue;
    const before = (current as Record<string, unknown>)[field];
    if (!same(before, after)) changes.push({ field, before, after });
  }
  return changes;
}

/** What changed on one record: a create is one change with field '*' holding the whole new record. */
export interface AuditRecord {
  entity: string;
  entityId: number;
  action: AuditAction;
  changes: FieldChange[];
}

/** The audit rows of several requests (each with its own actor and time) in one INSERT: a group of saves. */
export async function writeAudits(em: EntityManager, entries: { ctx: AuditContext; records: AuditRecord[] }[]): Promise<void> {
  const rows = entries.flatMap(({ ctx, records }) =>
    records.flatMap(({ entity, entityId, action, changes }) =>
      changes.map((c) => ({
        companyId: ctx.companyId,
        entity,
        entityId,
        action,
        field: c.field,
        before: enc(c.before),
        after: enc(c.after),
        actorId: ctx.actorId,
        at: ctx.at,
        requestId: ctx.requestId ?? null,
      })),
    ),
  );
  await insertRowsPlain(em, AuditLog, rows);
}

/**
 * Writes audit rows in the caller's transaction, so a change and its audit trail commit or fail together
 * (one INSERT per change, however many fields it touched).
 * A create is one row holding the whole new record (field '*'); an update is one row per changed field.
 */
export class Audit {
  constructor(
    private readonly em: EntityManager,
    private readonly ctx: AuditContext,
  ) {}

  async created(entity: string, entityId: number, snapshot: object): Promise<void> {
    await this.write(entity, entityId, 'create', [{ field: '*', before: null, after: snapshot }]);
  }

  async changed(entity: string, entityId: number, changes: FieldChange[], action: AuditAction = 'update') {
    if (changes.length) await this.write(entity, entityId, action, changes);
  }

  async write(entity: string, entityId: number, action: AuditAction, changes: FieldChange[]): Promise<void> {
    await this.writeAll([{ entity, entityId, action, changes }]);
  }

  /** Several records' changes in one INSERT (a follow-up save audits the follow-up and its lead). */
  async writeAll(records: AuditRecord[]): Promise<void> {
    await writeAudits(this.em, [{ ctx: this.ctx, records }]);
  }
}
