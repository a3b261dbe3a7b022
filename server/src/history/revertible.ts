import { In, type EntityManager, type EntityMetadata } from 'typeorm';
import { alarmSettings } from '@lifeline/shared';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';
import { RoutingPoolMember, RoutingRuleSet } from '../routing/routing.entities';
import { dataSafetySettings } from '../health/settings';
import { insertRowsPlain } from '../db/rows';

/**
 * How undo and time travel read and write one kind of audited record. The audit's `entity` is the table name and its
 * `field` an entity property, so most records need nothing but TypeORM's metadata; the few whose audited fields are
 * not columns (company settings keys, a pool's member list, rule-set versions) say how here.
 */
export interface Revertible {
  /** Current values of the audited fields, per id (ids of other companies are simply absent). */
  read(em: EntityManager, companyId: number, ids: number[], lock: boolean): Promise<Map<number, Record<string, unknown>>>;
  /** Whether `field` can be written back (pseudo-fields such as a lead's `moveReason` are history only). */
  writable(field: string): boolean;
  /** Writes values back to one record. */
  write(em: EntityManager, companyId: number, id: number, values: Record<string, unknown>, now: number): Promise<void>;
  /**
   * Undoes a create without deleting anything: the values to write (a soft delete), or a newer record that supersedes
   * it (a rule-set version), or null when it cannot be undone.
   */
  uncreate(em: EntityManager, companyId: number, id: number, now: number): Promise<Uncreate | null>;
}

export type Uncreate = { values: Record<string, unknown> } | { superseded: { entity: string; id: number; snapshot: object } };

/** Audited fields never written back: keys and bookkeeping. */
const FIXED = new Set(['id', 'companyId', 'createdAt', 'updatedAt', 'authVersion']);

function metadataOf(em: EntityManager, entity: string): EntityMetadata | null {
  return em.connection.entityMetadatas.find((m) => m.tableName === entity) ?? null;
}

/** A record that is a row of its own table, audited by property name. */
function tableRecord(m: EntityMetadata): Revertible {
  const has = (p: string) => !!m.findColumnWithPropertyName(p);
  return {
    async read(em, companyId, ids, lock) {
      const out = new Map<number, Record<string, unknown>>();
      for (let i = 0; i < ids.length; i += 500) {
        const qb = em
          .getRepository(m.target)
          .createQueryBuilder('x')
          .where('x.companyId = :companyId AND x.id IN (:...ids)', { companyId, ids: ids.slice(i, i + 500) });
        if (lock && em.connection.options.type !== 'better-sqlite3') qb.setLock('pessimistic_write');
        for (const row of await qb.getMany()) out.set(Number((row as { id: number }).id), row as Record<string, unknown>);
      }
      return out;
    },
    writable: (field) => has(field) && !FIXED.has(field),
    async write(em, companyId, id, values, now) {
      const patch = { ...values, ...(has('updatedAt') && !('updatedAt' in values) ? { updatedAt: now } : {}) };
      await em.getRepository(m.target).update({ id, companyId }, patch);
    },
    async uncreate(_em, _companyId, _id, now) {
      if (has('deletedAt')) return { values: { deletedAt: now } };
      if (has('active')) return { values: { active: false } }; // intake channels are switched off, never deleted
      return null;
    },
  };
}

/** Company settings are audited per key (`levelA`, `courses`, `alarms.noFollowupHours`) at their effective value. */
const companySettings: Revertible = {
  async read(em, companyId, ids) {
    const out = new Map<number, Record<string, unknown>>();
    if (!ids.includes(companyId)) return out;
    const c = await em.getRepository(Company).findOneByOrFail({ id: companyId });
    const flat: Record<string, unknown> = { ...effectiveSettings(c.settings) };
    const alarms = alarmSettings((c.settings as { alarms?: unknown }).alarms) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(alarms)) flat[`alarms.${k}`] = v;
    flat.dataSafety = dataSafetySettings(c.settings as Record<string, unknown>);
    out.set(companyId, flat);
    return out;
  },
  writable: (field) => !field.includes('.') || field.startsWith('alarms.'),
  async write(em, companyId, _id, values) {
    const c = await em.getRepository(Company).findOneByOrFail({ id: companyId });
    const settings = { ...(c.settings ?? {}) } as Record<string, unknown>;
    for (const [field, value] of Object.entries(values)) {
      if (field.startsWith('alarms.')) settings.alarms = { ...((settings.alarms as object) ?? {}), [field.slice(7)]: value };
      else settings[field] = value;
    }
    await em.getRepository(Company).update({ id: companyId }, { settings: settings as Company['settings'] });
  },
  uncreate: async () => null,
};

/** A pool's members are audited as one list (`members`): written back by replacing the pool's member rows. */
function routingPool(m: EntityMetadata): Revertible {
  const base = tableRecord(m);
  return {
    ...base,
    async read(em, companyId, ids, lock) {
      const out = await base.read(em, companyId, ids, lock);
      if (!out.size) return out;
      const members = await em
        .getRepository(RoutingPoolMember)
        .find({ where: { companyId, poolId: In([...out.keys()]) }, order: { position: 'ASC', id: 'ASC' } });
      for (const [id, row] of out) {
        row.members = members.filter((x) => x.poolId === id).map((x) => ({ userId: x.userId, weight: x.weight, cap: x.cap, shifts: x.shifts }));
      }
      return out;
    },
    writable: (field) => field === 'members' || base.writable(field),
    async write(em, companyId, id, values, now) {
      const { members, ...rest } = values as { members?: { userId: number; weight: number; cap: number | null; shifts: unknown }[] };
      if (Object.keys(rest).length || members) await base.write(em, companyId, id, rest, now);
      if (!members) return;
      await em.getRepository(RoutingPoolMember).delete({ companyId, poolId: id });
      if (members.length)
        await insertRowsPlain(
          em,
          RoutingPoolMember,
          members.map((x, i) => ({ ...x, companyId, poolId: id, position: i }) as RoutingPoolMember),
        );
    },
  };
}

/**
 * Rule sets are versions (the newest is in force): a version is undone by a newer one carrying the body of the version
 * before it, so the history stays whole. Only the newest version can be undone this way.
 */
function routingRuleSet(m: EntityMetadata): Revertible {
  const base = tableRecord(m);
  return {
    ...base,
    writable: () => false,
    async uncreate(em, companyId, id, now) {
      const versions = await em.getRepository(RoutingRuleSet).find({ where: { companyId }, order: { version: 'DESC' }, take: 2 });
      if (versions[0]?.id !== id) return null;
      const previous = versions[1];
      if (!previous) return null;
      const row = em
        .getRepository(RoutingRuleSet)
        .create({ companyId, version: versions[0].version + 1, body: previous.body, createdBy: null, createdAt: now });
      await em.getRepository(RoutingRuleSet).insert(row);
      return { superseded: { entity: 'routing_rule_set', id: row.id, snapshot: row } };
    },
  };
}

/** The way to read and write back records of an audited entity, or null when it has none (exports, reveals). */
export function revertibleFor(em: EntityManager, entity: string): Revertible | null {
  if (entity === 'company') return companySettings;
  const m = metadataOf(em, entity);
  if (!m || !m.findColumnWithPropertyName('companyId')) return null;
  if (entity === 'routing_pool') return routingPool(m);
  if (entity === 'routing_rule_set') return routingRuleSet(m);
  return tableRecord(m);
}
