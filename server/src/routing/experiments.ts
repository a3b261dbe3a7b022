import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { compareArms, harmFound, type Arm, type ExperimentLead, type MetricComparison } from '@lifeline/shared/src/routing';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit } from '../audit/audit.service';
import { conflict, notFound } from '../http/errors';
import { queueMessage } from '../alarms/queue-message';
import { channelFor } from '../alarms/fire';
import { User } from '../users/user.entity';
import { RoutingExperiment, RoutingRuleSet } from './routing.entities';

export interface HoldoutInput {
  share: number;
  minSample: number;
  harmPoints: number;
}

/**
 * A/B tests of routing rules (docs/intake-routing.md, "A/B test"). Saving a rule version with a holdout starts one
 * (control = the previous version); saving another version, an admin, or the harm rule ends it. The report compares
 * the arms on the leads each routed (routing_decision.experimentId / arm), recomputed from the leads at every read.
 */
export class Experiments {
  constructor(private readonly app: AppContext) {}

  /** In the transaction that saves version `treatment`: running tests end; a new one starts when asked for. */
  async onRulesSaved(em: EntityManager, actor: Actor, treatment: number, control: number | null, holdout: HoldoutInput | undefined, requestId?: string) {
    const now = this.app.clock.now();
    const audit = new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now });
    for (const running of await em.getRepository(RoutingExperiment).findBy({ companyId: actor.companyId, status: 'running' })) {
      const stopReason = `分配规则已保存为新版本 v${treatment}`;
      await em.getRepository(RoutingExperiment).update({ id: running.id }, { status: 'stopped', stopReason, stoppedAt: now });
      await audit.changed('routing_experiment', running.id, [{ field: 'status', before: 'running', after: 'stopped' }]);
    }
    if (!holdout || control === null) return null;
    const row = em.getRepository(RoutingExperiment).create({
      companyId: actor.companyId,
      controlVersion: control,
      treatmentVersion: treatment,
      holdoutPermille: Math.round(holdout.share * 1000),
      salt: randomBytes(8).toString('hex'),
      minSample: holdout.minSample,
      harmPermille: Math.round(holdout.harmPoints * 1000),
      status: 'running',
      stopReason: null,
      createdBy: actor.id,
      startedAt: now,
      stoppedAt: null,
    });
    await em.getRepository(RoutingExperiment).insert(row);
    await audit.created('routing_experiment', row.id, row);
    return row.id;
  }

  async list(actor: Actor) {
    const rows = await this.app.ds
      .getRepository(RoutingExperiment)
      .find({ where: { companyId: actor.companyId }, order: { startedAt: 'DESC', id: 'DESC' }, take: 50 });
    return { items: await Promise.all(rows.map((r) => this.reportOf(r))) };
  }

  async report(actor: Actor, id: number) {
    return this.reportOf(await this.find(actor.companyId, id));
  }

  private async find(companyId: number, id: number) {
    const row = await this.app.ds.getRepository(RoutingExperiment).findOneBy({ id, companyId });
    if (!row) throw notFound(`A/B 测试不存在（ID ${id}）`);
    return row;
  }

  /** The leads each arm routed, as they are now (first contact, signing), soft-deleted ones left out. */
  private async leadsOf(exp: RoutingExperiment): Promise<ExperimentLead[]> {
    const rows: { arm: Arm; createdAt: string | number; firstFollowupAt: string | number | null; signedAt: string | number | null }[] = await this.app.ds.query(
      `SELECT d.arm, l.createdAt, l.firstFollowupAt, l.signedAt FROM routing_decision d JOIN \`lead\` l ON l.id = d.leadId
        WHERE d.companyId = ? AND d.experimentId = ? AND d.kind = 'auto' AND l.deletedAt IS NULL`,
      [exp.companyId, exp.id],
    );
    const n = (v: string | number | null) => (v === null ? null : Number(v));
    return rows.map((r) => ({ arm: r.arm, createdAt: Number(r.createdAt), firstFollowupAt: n(r.firstFollowupAt), signedAt: n(r.signedAt) }));
  }

  private async reportOf(exp: RoutingExperiment) {
    const leads = await this.leadsOf(exp);
    const metrics = compareArms(leads, this.app.clock.now(), exp.minSample);
    return {
      id: exp.id,
      status: exp.status,
      controlVersion: exp.controlVersion,
      treatmentVersion: exp.treatmentVersion,
      holdoutShare: exp.holdoutPermille / 1000,
      minSample: exp.minSample,
      harmPoints: exp.harmPermille / 1000,
      startedAt: exp.startedAt,
      stoppedAt: exp.stoppedAt,
      stopReason: exp.stopReason,
      leads: { control: leads.filter((l) => l.arm === 'control').length, treatment: leads.filter((l) => l.arm === 'treatment').length },
      metrics,
      verdict: overallVerdict(exp, metrics),
    };
  }

  /** An admin ends a running test: from now on every new lead is routed by the new version. */
  async stop(actor: Actor, id: number, reason: string, requestId?: string) {
    await this.app.tx.run(async (em) => {
      const exp = await em.getRepository(RoutingExperiment).findOneBy({ id, companyId: actor.companyId });
      if (!exp) throw notFound(`A/B 测试不存在（ID ${id}）`);
      if (exp.status !== 'running') throw conflict('这个 A/B 测试已经结束');
      const now = this.app.clock.now();
      await em.getRepository(RoutingExperiment).update({ id }, { status: 'stopped', stopReason: reason, stoppedAt: now });
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('routing_experiment', id, [
        { field: 'status', before: 'running', after: 'stopped' },
        { field: 'stopReason', before: null, after: reason },
      ]);
    });
    return this.report(actor, id);
  }

  /**
   * The harm rule, checked hourly and testable: a running test whose new rules contact leads within 24 h markedly and
   * significantly less often ends, the previous version is saved again as the newest (every lead back on the old rules),
   * and the company's admins get a bot message saying why.
   */
  async checkHarm(): Promise<number> {
    const running = await this.app.ds.getRepository(RoutingExperiment).findBy({ status: 'running' });
    let stopped = 0;
    for (const exp of running) {
      const [first] = compareArms(await this.leadsOf(exp), this.app.clock.now(), exp.minSample);
      if (harmFound(first, exp.harmPermille / 1000)) stopped += (await this.stopForHarm(exp, first)) ? 1 : 0;
    }
    return stopped;
  }

  private async stopForHarm(exp: RoutingExperiment, m: MetricComparison): Promise<boolean> {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const fresh = await em.getRepository(RoutingExperiment).findOneBy({ id: exp.id });
      if (fresh?.status !== 'running') return false;
      const latest = await em.getRepository(RoutingRuleSet).findOne({ where: { companyId: exp.companyId }, order: { version: 'DESC' } });
      const control = await em.getRepository(RoutingRuleSet).findOneByOrFail({ companyId: exp.companyId, version: exp.controlVersion });
      const audit = new Audit(em, { companyId: exp.companyId, actorId: null, at: now });
      const stopReason = `止损：新规则 24 小时首次联系率${m.verdict.replace(/^新规则更差：/, '')}，已恢复 v${exp.controlVersion} 的规则`;
      await em.getRepository(RoutingExperiment).update({ id: exp.id }, { status: 'harm_stopped', stopReason: stopReason.slice(0, 200), stoppedAt: now });
      await audit.changed('routing_experiment', exp.id, [{ field: 'status', before: 'running', after: 'harm_stopped' }]);
      if (latest?.version === exp.treatmentVersion) {
        const back = em
          .getRepository(RoutingRuleSet)
          .create({ companyId: exp.companyId, version: latest.version + 1, body: control.body, createdBy: null, createdAt: now });
        await em.getRepository(RoutingRuleSet).insert(back);
        await audit.created('routing_rule_set', back.id, back);
      }
      for (const admin of await em.getRepository(User).findBy({ companyId: exp.companyId, role: 'admin', active: true })) {
        await queueMessage(em, now, {
          companyId: exp.companyId,
          alarmId: null,
          recipientId: admin.id,
          kind: 'digest',
          channel: channelFor(this.app, admin),
          payload: { title: '分配规则 A/B 测试已止损', lines: [stopReason], leadIds: [] },
          dedupeKey: `experiment-harm:${exp.id}:${admin.id}`,
        });
      }
      return true;
    });
  }
}

function overallVerdict(exp: RoutingExperiment, metrics: MetricComparison[]): string {
  if (exp.status === 'harm_stopped') return exp.stopReason ?? '已止损';
  const worse = metrics.filter((m) => m.enough && m.difference && m.difference.high < 0);
  const better = metrics.filter((m) => m.enough && m.difference && m.difference.low > 0);
  const judged = metrics.filter((m) => m.enough);
  const head = exp.status === 'stopped' ? `已结束（${exp.stopReason ?? ''}）。` : '';
  if (worse.length) return `${head}新规则在「${worse.map((m) => m.label).join('、')}」上明显更差，建议结束测试并回到 v${exp.controlVersion}。`;
  if (better.length)
    return `${head}新规则在「${better.map((m) => m.label).join('、')}」上明显更好，其他指标没有变差，可以结束测试，全部线索用 v${exp.treatmentVersion}。`;
  if (!judged.length) return `${head}样本还不够：每组至少 ${exp.minSample} 条满期的线索后才下结论。`;
  return `${head}目前两版规则没有显著差异，继续测试以积累样本。`;
}
