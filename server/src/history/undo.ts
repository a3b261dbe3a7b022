import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { assertCan } from '../auth/permissions';
import { badRequest } from '../http/errors';
import { writeAudits, type AuditRecord } from '../audit/audit.service';
import { bumpCompanyAuthVersion } from '../companies/auth-version';
import { customerLeadIds, recordLeadChanges } from '../projector/outbox';
import { reprojectCompany } from '../companies/vocabulary';
import { rebuildRollups } from '../metrics/rollup';
import { effectiveSettings } from '../companies/settings';
import { Company } from '../companies/company.entity';
import { decode, planUndo, type AuditEntry, type Revert, type UndoPlan } from './undo-plan';
import { revertibleFor } from './revertible';

/** More than this many audit rows is not one incident: narrow the filter. */
export const UNDO_MAX_ROWS = 200_000;
const SAMPLES = 20;

export interface UndoFilter {
  actorId?: number;
  from: number;
  to: number;
  entity?: string;
  /** Every change of one operation (a request, an undo, a restore): its audit rows share this id. */
  operationId?: string;
}

/** The audit rows an undo reverts: business changes, not reveals, exports or sign-ins. */
async function selectChanges(em: EntityManager, companyId: number, f: UndoFilter): Promise<AuditEntry[]> {
  const where = ['companyId = ?', 'at >= ?', 'at <= ?', "action IN ('create', 'update', 'delete', 'restore')"];
  const params: unknown[] = [companyId, f.from, f.to];
  const add = (clause: string, value: unknown) => {
    where.push(clause);
    params.push(value);
  };
  if (f.actorId !== undefined) add('actorId = ?', f.actorId);
  if (f.entity) add('entity = ?', f.entity);
  if (f.operationId) add('requestId = ?', f.operationId);
  const [{ n }] = await em.query(`SELECT COUNT(*) AS n FROM audit_log WHERE ${where.join(' AND ')}`, params);
  if (Number(n) > UNDO_MAX_ROWS) throw badRequest(`所选范围内有 ${n} 条变更，超过一次撤销的上限 ${UNDO_MAX_ROWS}：请缩小时间范围或指定操作人、对象类型`);
  return decode(await em.query(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY at, id`, params));
}

function summarise(plan: UndoPlan, selected: number) {
  const perField: Record<string, number> = {};
  const perEntity: Record<string, number> = {};
  for (const r of plan.reverts) {
    perField[`${r.entity}.${r.field === '*' ? '(新建)' : r.field}`] = (perField[`${r.entity}.${r.field === '*' ? '(新建)' : r.field}`] ?? 0) + 1;
    perEntity[r.entity] = (perEntity[r.entity] ?? 0) + 1;
  }
  return {
    selectedChanges: selected,
    reverts: plan.reverts.length,
    perEntity,
    perField,
    samples: plan.reverts.slice(0, SAMPLES),
    conflicts: plan.conflicts.length,
    conflictList: plan.conflicts.slice(0, 500),
    skipped: plan.skipped,
  };
}

interface Write {
  entity: string;
  id: number;
  values: Record<string, unknown>;
  before: Record<string, unknown>;
  created: boolean;
}

/**
 * Values to write per record: reverted fields, and soft deletes for undone creations; plus the records that supersede an
 * undone creation (a rule-set version), audited as created.
 */
async function writesOf(em: EntityManager, companyId: number, reverts: Revert[], now: number) {
  const writes = new Map<string, Write>();
  const superseding: AuditRecord[] = [];
  // A record created in the selection is undone as a whole (soft-deleted): its later field changes are moot.
  const uncreated = new Set(reverts.filter((r) => r.field === '*').map((r) => `${r.entity}:${r.entityId}`));
  for (const r of [...reverts].sort((a, b) => Number(b.field === '*') - Number(a.field === '*'))) {
    const k = `${r.entity}:${r.entityId}`;
    const w = writes.get(k) ?? { entity: r.entity, id: r.entityId, values: {}, before: {}, created: false };
    if (r.field === '*') {
      const undone = await revertibleFor(em, r.entity)!.uncreate(em, companyId, r.entityId, now);
      if (!undone) continue;
      if ('superseded' in undone) {
        const s = undone.superseded;
        superseding.push({ entity: s.entity, entityId: s.id, action: 'create', changes: [{ field: '*', before: null, after: s.snapshot }] });
        continue;
      }
      w.created = true;
      Object.assign(w.values, undone.values);
      for (const f of Object.keys(undone.values)) w.before[f] = (r.current as Record<string, unknown> | null)?.[f] ?? null;
    } else {
      if (w.created || (uncreated.has(k) && writes.has(k))) continue;
      w.values[r.field] = r.target;
      w.before[r.field] = r.current;
    }
    writes.set(k, w);
  }
  return { writes: [...writes.values()], superseding };
}

/** The leads whose derived state (facts, timers, rollups) the written records move. */
async function touchedLeads(em: EntityManager, companyId: number, writes: { entity: string; id: number }[]): Promise<number[]> {
  const ids = new Set<number>();
  const of = (entity: string) => writes.filter((w) => w.entity === entity).map((w) => w.id);
  for (const id of of('lead')) ids.add(id);
  for (const id of of('customer')) for (const l of await customerLeadIds(em, companyId, id)) ids.add(l);
  const fus = of('followup');
  for (let i = 0; i < fus.length; i += 500) {
    const part = fus.slice(i, i + 500);
    const rows: { leadId: number }[] = await em.query(`SELECT leadId FROM followup WHERE companyId = ? AND id IN (${part.map(() => '?').join(', ')})`, [
      companyId,
      ...part,
    ]);
    for (const r of rows) ids.add(Number(r.leadId));
  }
  return [...ids];
}

/** Writes the plan back in the caller's transaction, each write audited under the operation's id. */
async function applyPlan(em: EntityManager, actor: Actor, reverts: Revert[], operationId: string, now: number) {
  const { writes, superseding } = await writesOf(em, actor.companyId, reverts, now);
  const records: AuditRecord[] = [...superseding];
  for (const w of writes) {
    const rec = revertibleFor(em, w.entity)!;
    if (Object.keys(w.values).length) await rec.write(em, actor.companyId, w.id, w.values, now);
    const fields = Object.keys(w.values);
    const action = w.created || (fields.length === 1 && fields[0] === 'deletedAt') ? (w.values.deletedAt === null ? 'restore' : 'delete') : 'update';
    records.push({
      entity: w.entity,
      entityId: w.id,
      action,
      changes: fields.map((field) => ({ field, before: w.before[field] ?? null, after: w.values[field] })),
    });
  }
  for (let i = 0; i < records.length; i += 500) {
    await writeAudits(em, [{ ctx: { companyId: actor.companyId, actorId: actor.id, requestId: operationId, at: now }, records: records.slice(i, i + 500) }]);
  }
  const leads = await touchedLeads(em, actor.companyId, writes);
  for (let i = 0; i < leads.length; i += 1000) await recordLeadChanges(em, actor.companyId, leads.slice(i, i + 1000), now);
  const settingsTouched = writes.some((w) => w.entity === 'company');
  if (settingsTouched || writes.some((w) => w.entity === 'app_user' || w.entity === 'org_unit')) await bumpCompanyAuthVersion(em, actor.companyId);
  if (writes.some((w) => w.entity === 'app_user')) {
    const users = writes.filter((w) => w.entity === 'app_user').map((w) => w.id);
    await em.query(`UPDATE app_user SET authVersion = authVersion + 1 WHERE companyId = ? AND id IN (${users.map(() => '?').join(', ')})`, [
      actor.companyId,
      ...users,
    ]);
  }
  if (writes.some((w) => w.entity === 'company' && 'levelA' in w.values)) {
    const c = await em.getRepository(Company).findOneByOrFail({ id: actor.companyId });
    await rebuildRollups(em, actor.companyId, effectiveSettings(c.settings).levelA);
  }
  return { written: writes.length, fields: records.reduce((n, r) => n + r.changes.length, 0), settingsTouched };
}

export interface UndoInput extends UndoFilter {
  dryRun: boolean;
  /** Conflict keys (`entity:id:field`) the admin chose to overwrite anyway. */
  overwrite?: string[];
}

/**
 * Undo from the audit: every change matching the filter, reverted. The dry run reports what would happen; the real run
 * plans again inside its transaction (rows locked on MySQL), so what it reverts is what it checked, and is one audited
 * operation whose id can be undone in turn.
 */
export async function undoChanges(app: AppContext, actor: Actor, input: UndoInput) {
  assertCan(actor, 'data.undo');
  if (input.from > input.to) throw badRequest('开始时间不能晚于结束时间');
  if (input.dryRun) {
    const selected = await selectChanges(app.ds.manager, actor.companyId, input);
    return { dryRun: true, ...summarise(await planUndo(app.ds.manager, actor.companyId, selected, false), selected.length) };
  }
  const operationId = `undo-${randomUUID()}`;
  const overwrite = new Set(input.overwrite ?? []);
  const result = await app.tx.run(async (em) => {
    const now = app.clock.now();
    const selected = await selectChanges(em, actor.companyId, input);
    const plan = await planUndo(em, actor.companyId, selected, true);
    const chosen = plan.conflicts.filter((c) => overwrite.has(c.key));
    const applied = await applyPlan(em, actor, [...plan.reverts, ...chosen], operationId, now);
    await writeAudits(em, [
      {
        ctx: { companyId: actor.companyId, actorId: actor.id, requestId: operationId, at: now },
        records: [{ entity: 'operation', entityId: 0, action: 'update', changes: [{ field: 'undo', before: null, after: { filter: input, ...applied } }] }],
      },
    ]);
    return { ...summarise({ ...plan, conflicts: plan.conflicts.filter((c) => !overwrite.has(c.key)) }, selected.length), overwritten: chosen.length, applied };
  });
  if (result.applied.settingsTouched || result.perEntity.app_user) app.actors.clear();
  if (result.applied.settingsTouched) await reprojectCompany(app, actor.companyId);
  return { dryRun: false, operationId, ...result };
}
