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

/**
 * Writes audit rows in the caller's transaction, so a change and its audit trail commit or fail together
 * (one INSERT per change, however many fields it touched).
 * A create is one row holding the whole new record (field '*'); an update is one row per changed field.
 */
export class Audit {
  constructor(private readonly em: EntityManager, private readonly ctx: AuditContext) {}

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
  async writeAll(records: { entity: string; entityId: number; action: AuditAction; changes: FieldChange[] }[]): Promise<void> {
    const rows = records.flatMap(({ entity, entityId, action, changes }) => changes.map((c) => ({
      companyId: this.ctx.companyId,
      entity,
      entityId,
      action,
      field: c.field,
      before: enc(c.before),
      after: enc(c.after),
      actorId: this.ctx.actorId,
      at: this.ctx.at,
      requestId: this.ctx.requestId ?? null,
    })));
    await insertRowsPlain(this.em, AuditLog, rows);
  }
}
