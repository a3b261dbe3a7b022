import type { EntityManager } from 'typeorm';
import { DEFAULT_PROTECTIVE, type RoutingRule } from '@lifeline/shared/src/routing';
import { OrgUnit } from '../companies/org-unit.entity';
import { User } from '../users/user.entity';
import { ensureDefaultContent } from '../content/content.service';
import { RoutingPool, RoutingPoolMember, RoutingRuleSet } from './routing.entities';
import { insertRowsPlain } from '../db/rows';

const WEEKDAYS = [1, 2, 3, 4, 5];

/**
 * The demo company's routing: one pool per team plus a company default pool, rules on city + grade, and
 * the education content set. Idempotent (does nothing when the company already has pools).
 */
export async function seedDemoRouting(em: EntityManager, companyId: number, now: number): Promise<void> {
  await ensureDefaultContent(em, companyId, now);
  if (await em.getRepository(RoutingPool).countBy({ companyId })) return;
  const units = await em.getRepository(OrgUnit).findBy({ companyId });
  const unit = (name: string) => units.find((u) => u.name === name)!;
  const reps = await em.getRepository(User).findBy({ companyId, role: 'rep' });
  const inUnit = (name: string) => reps.filter((r) => r.orgUnitId === unit(name).id);
  const pools = em.getRepository(RoutingPool);
  const makePool = async (name: string, unitName: string, people: User[], shiftFor?: (u: User) => boolean) => {
    const p = pools.create({ companyId, name, orgUnitId: unit(unitName).id, rrCursor: 0, createdAt: now, updatedAt: now, deletedAt: null });
    await pools.insert(p);
    if (people.length) {
      await insertRowsPlain(
        em,
        RoutingPoolMember,
        people.map((u, i) => ({
          companyId,
          poolId: p.id,
          userId: u.id,
          weight: 1,
          cap: 60,
          position: i,
          // One rep works weekdays only, so the demo shows "不在班" skips at weekends.
          shifts: shiftFor?.(u) ? [{ days: WEEKDAYS, from: '09:00', to: '21:00' }] : null,
        })),
      );
    }
    return p;
  };
  const zk = await makePool('苏州园区中心-中考组', '苏州园区中心-中考组', inUnit('苏州园区中心-中考组'));
  const xx = await makePool('苏州园区中心-小学组', '苏州园区中心-小学组', inUnit('苏州园区中心-小学组'));
  const nj = await makePool('南京鼓楼中心-综合组', '南京鼓楼中心-综合组', inUnit('南京鼓楼中心-综合组'), (u) => u.name === '郑爽');
  const all = await makePool('默认线索池', '苏州园区中心', reps);
  const rules: RoutingRule[] = [
    { name: '苏州初中', cities: ['苏州'], grades: ['初一', '初二', '初三'], poolId: zk.id },
    { name: '苏州小学', cities: ['苏州'], grades: ['小一', '小二', '小三', '小四', '小五', '小六'], poolId: xx.id },
    { name: '南京', cities: ['南京'], poolId: nj.id },
  ];
  await em.getRepository(RoutingRuleSet).insert({
    companyId,
    version: 1,
    body: { rules, defaultPoolId: all.id, protective: DEFAULT_PROTECTIVE },
    createdBy: null,
    createdAt: now,
  });
}

/**
 * A plain company's routing: the default content set, one pool per team (its active reps, weight 1, cap 60) and
 * rules v1 that send everything to the first team's pool. Idempotent like the demo's.
 */
export async function seedTeamPools(em: EntityManager, companyId: number, now: number): Promise<void> {
  await ensureDefaultContent(em, companyId, now);
  if (await em.getRepository(RoutingPool).countBy({ companyId })) return;
  const teams = await em.getRepository(OrgUnit).find({ where: { companyId, kind: 'team' }, order: { id: 'ASC' } });
  const reps = await em.getRepository(User).findBy({ companyId, role: 'rep', active: true });
  const poolIds: number[] = [];
  for (const team of teams) {
    const p = em
      .getRepository(RoutingPool)
      .create({ companyId, name: team.name, orgUnitId: team.id, rrCursor: 0, createdAt: now, updatedAt: now, deletedAt: null });
    await em.getRepository(RoutingPool).insert(p);
    const people = reps.filter((r) => r.orgUnitId === team.id);
    if (people.length) {
      await insertRowsPlain(
        em,
        RoutingPoolMember,
        people.map((u, i) => ({ companyId, poolId: p.id, userId: u.id, weight: 1, cap: 60, position: i, shifts: null })),
      );
    }
    poolIds.push(p.id);
  }
  if (!poolIds.length) return;
  await em.getRepository(RoutingRuleSet).insert({
    companyId,
    version: 1,
    body: { rules: [], defaultPoolId: poolIds[0], protective: DEFAULT_PROTECTIVE },
    createdBy: null,
    createdAt: now,
  });
}
