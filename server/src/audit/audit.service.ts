import type { EntityManager } from 'typeorm';
import { deferToCommit } from '../db/tx';
import { AuditLog, type AuditAction } from './audit-log.entity';
import { insertRowsLater } from '../db/rows';

/** Audit rows of a transaction, written together in one INSERT just before it commits. */
const buffered = new WeakMap<EntityManager, Partial<AuditLog>[]>();

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
 * (all of a transaction's rows in one INSERT at commit, since every save writes several).
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
    const rows = changes.map((c) => ({
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
    }));
    const em = this.em;
    const queue = buffered.get(em);
    if (queue) queue.push(...rows);
    else buffered.set(em, rows);
    await deferToCommit(em, 'audit:flush', async () => {
      const all = buffered.get(em) ?? [];
      buffered.delete(em);
      await insertRowsLater(em, AuditLog, all);
    });
  }
}
