import { In } from 'typeorm';
import { DEFAULT_LEVEL_A, DEFAULT_SCORE_WEIGHTS, type ScoreWeight } from '@lifeline/shared';
import type { ScoreWeightsInput } from '@lifeline/shared/src/routing';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { bumpCompanyAuthVersion } from '../companies/auth-version';
import { effectiveSettings } from '../companies/settings';
import { rebuildRollups } from '../metrics/rollup';
import { requireConfirmation, type Impact } from '../companies/guard';
import { Customer } from '../customers/customer.entity';
import { Lead } from '../leads/lead.entity';
import { forbidden } from '../http/errors';
import { liveSignalsOf, scoreWith } from '../signals/score';

const BATCH = 500;

/** Admin-edited additive weights (company settings) and recomputing every live lead when they change. */
export class ScoringService {
  constructor(private readonly app: AppContext) {}

  get(actor: Actor) {
    return {
      weights: actor.settings.scoreWeights,
      levelA: actor.settings.levelA,
      defaults: { weights: DEFAULT_SCORE_WEIGHTS, levelA: DEFAULT_LEVEL_A },
    };
  }

  async save(actor: Actor, input: ScoreWeightsInput, requestId?: string) {
    if (actor.role !== 'admin') throw forbidden('只有管理员可以修改评分权重');
    const weights: ScoreWeight[] = input.weights.map((w) => (w.label ? w : { field: w.field, value: w.value, points: w.points }));
    const levelA = input.levelA ?? actor.settings.levelA;
    requireConfirmation(await this.levelAImpact(actor, levelA), input.confirm);
    const changes = await this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const company = await em.getRepository(Company).findOneByOrFail({ id: actor.companyId });
      const current = effectiveSettings(company.settings);
      const diff = diffFields({ scoreWeights: current.scoreWeights, levelA: current.levelA }, { scoreWeights: weights, levelA });
      if (diff.length) {
        await em.getRepository(Company).update({ id: company.id }, { settings: { ...(company.settings ?? {}), scoreWeights: weights, levelA } });
        await bumpCompanyAuthVersion(em, company.id); // other processes' cached actors carry the settings
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('company', company.id, diff);
        // The dashboards' A-level counts are summed per day: rebuilt at the new threshold with the change. Projections
        // read the threshold under a shared lock on this company row, so none adds at the old one after this commits.
        if (current.levelA !== levelA) await rebuildRollups(em, actor.companyId, levelA);
      }
      return diff;
    });
    if (changes.length) this.app.actors.clear(); // signed-in actors carry the company settings
    const recomputed = changes.length ? await this.recompute(actor, weights, levelA, requestId) : { checked: 0, changed: 0 };
    return { weights, levelA, changed: changes.map((c) => c.field), recomputed };
  }

  /**
   * Re-scores every live lead of the company with the given weights, in batches (one transaction each),
   * writing and auditing only the leads whose score or breakdown changed. Safe to re-run.
   */
  /** Leads whose A level flips at the new threshold (on their stored scores): the dashboards' A-level counts move. */
  private async levelAImpact(actor: Actor, levelA: number): Promise<Impact[]> {
    const old = actor.settings.levelA;
    if (old === levelA) return [];
    const [{ n }] = await this.app.ds.query('SELECT COUNT(*) AS n FROM `lead` WHERE companyId = ? AND deletedAt IS NULL AND score >= ? AND score < ?', [
      actor.companyId,
      Math.min(old, levelA),
      Math.max(old, levelA),
    ]);
    return [{ what: `A级门槛从 ${old} 改为 ${levelA} 后改变A级归属的线索`, count: Number(n) }];
  }

  async recompute(actor: Actor, weights = actor.settings.scoreWeights, levelA = actor.settings.levelA, requestId?: string) {
    if (actor.role !== 'admin') throw forbidden('只有管理员可以重算评分');
    let after = 0;
    let checked = 0;
    let changed = 0;
    for (;;) {
      const leads = await this.app.ds
        .getRepository(Lead)
        .createQueryBuilder('l')
        .where('l.companyId = :c AND l.id > :after AND l.deletedAt IS NULL', { c: actor.companyId, after })
        .orderBy('l.id', 'ASC')
        .take(BATCH)
        .getMany();
      if (!leads.length) break;
      after = leads[leads.length - 1].id;
      checked += leads.length;
      changed += await this.app.tx.run(async (em) => {
        const now = this.app.clock.now();
        const customers = await em.getRepository(Customer).findBy({ companyId: actor.companyId, id: In([...new Set(leads.map((l) => l.customerId))]) });
        const byId = new Map(customers.map((c) => [c.id, c]));
        const settings = { ...actor.settings, scoreWeights: weights, levelA };
        const signals = await liveSignalsOf(
          em,
          actor.companyId,
          leads.map((l) => l.id),
          settings,
          now,
        );
        const audit = new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now });
        let n = 0;
        for (const lead of leads) {
          const c = byId.get(lead.customerId);
          const s = scoreWith(settings, lead, c, signals.get(lead.id) ?? [], now);
          const diff = diffFields(lead, { score: s.score, scoreBreakdown: s.breakdown });
          if (!diff.length) continue;
          await em.getRepository(Lead).update({ id: lead.id }, { score: s.score, scoreBreakdown: s.breakdown, updatedAt: now });
          await audit.changed('lead', lead.id, diff);
          Object.assign(lead, { score: s.score, scoreBreakdown: s.breakdown, updatedAt: now });
          await this.app.events.emit(em, { type: 'lead.updated', lead, changes: diff }, { companyId: actor.companyId, actorId: actor.id, at: now, requestId });
          n++;
        }
        return n;
      });
    }
    return { checked, changed };
  }
}
