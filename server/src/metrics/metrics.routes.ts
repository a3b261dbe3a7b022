import type { EntityManager } from 'typeorm';
import Router from '@koa/router';
import type { Context } from 'koa';
import {
  channelSpendSchema,
  chinaDayOf,
  conversationSchema,
  drillQuerySchema,
  exportQuerySchema,
  heatQuerySchema,
  metricsFilterSchema,
  yuanToFen,
  type MetricsFilter,
} from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { actorOf } from '../auth/auth.middleware';
import { Audit, diffFields } from '../audit/audit.service';
import { badRequest, notFound } from '../http/errors';
import { parseInput } from '../http/validate';
import { requestIdOf } from '../http/router-kit';
import { computeKpis, computeLeadHealth } from './kpi-queries';
import { computeChannelRoi, computeRepBattle } from './team-queries';
import { computeDrill, computeJourneyHeat } from './heat-queries';
import { computeTeamInsights } from './team-insights';
import { channelRoiCsv, journeyHeatCsv, kpisCsv, leadHealthCsv, repBattleCsv, toCsv } from './csv';
import { resolveScope } from './scope';
import { recordConversation } from './conversations';
import { ChannelSpend } from './metrics.entities';
import { allow } from '../auth/permissions';
import { watermarkOf } from '../projector/projector';

/**
 * A view stamped with the company's projection watermark: derived state holds every change committed before it. A view
 * with no data in its scope keeps `updatedAt: null` ("暂无数据").
 */
async function withWatermark<T extends { updatedAt: number | null }>(em: EntityManager, companyId: number, now: number, view: Promise<T>): Promise<T> {
  const [result, [row]] = await Promise.all([view, em.query('SELECT MIN(createdAt) AS oldest FROM lead_change WHERE companyId = ?', [companyId])]);
  if (result.updatedAt === null) return result;
  return { ...result, updatedAt: watermarkOf(row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest), now) };
}

/** Dashboard APIs: every figure computed from lead_fact (kept by the projector), scoped by role; CSV export audited. */
export function metricsRoutes(app: AppContext): Router {
  const r = new Router({ prefix: '/api' });
  const em = () => app.ds.manager;
  const now = () => app.clock.now();
  const scoped = (actor: Actor, filter: MetricsFilter, supervisorView: boolean) => resolveScope(em(), actor, filter, { supervisorView, now: now() });

  // "数据更新于": the projector's watermark (every change committed before it is in these figures), not the newest fact.
  const fresh = <T extends { updatedAt: number | null }>(a: Actor, view: Promise<T>) => withWatermark(em(), a.companyId, now(), view);
  const views = {
    kpis: async (a: Actor, f: MetricsFilter) => fresh(a, computeKpis(em(), a, await scoped(a, f, false), now())),
    'lead-health': async (a: Actor, f: MetricsFilter) => fresh(a, computeLeadHealth(em(), a, await scoped(a, f, false), now())),
    'rep-battle': async (a: Actor, f: MetricsFilter) => fresh(a, computeRepBattle(em(), a, await scoped(a, f, true), now())),
    'channel-roi': async (a: Actor, f: MetricsFilter) => fresh(a, computeChannelRoi(em(), a, await scoped(a, f, true), now())),
  };

  r.get('/metrics/kpis', async (ctx) => {
    ctx.body = await views.kpis(actorOf(ctx), parseInput(metricsFilterSchema.strict(), ctx.query));
  });
  r.get('/metrics/lead-health', async (ctx) => {
    ctx.body = await views['lead-health'](actorOf(ctx), parseInput(metricsFilterSchema.strict(), ctx.query));
  });
  r.get('/metrics/rep-battle', allow('metrics.team'), async (ctx) => {
    ctx.body = await views['rep-battle'](actorOf(ctx), parseInput(metricsFilterSchema.strict(), ctx.query));
  });
  r.get('/metrics/channel-roi', allow('metrics.team'), async (ctx) => {
    ctx.body = await views['channel-roi'](actorOf(ctx), parseInput(metricsFilterSchema.strict(), ctx.query));
  });
  r.get('/metrics/journey-heat', allow('metrics.team'), async (ctx) => {
    const actor = actorOf(ctx);
    const { by, ...filter } = parseInput(heatQuerySchema.strict(), ctx.query);
    ctx.body = await fresh(actor, computeJourneyHeat(em(), actor, await scoped(actor, filter, true), by, now()));
  });
  r.get('/metrics/team-insights', allow('metrics.team'), async (ctx) => {
    const actor = actorOf(ctx);
    ctx.body = await fresh(actor, computeTeamInsights(em(), await scoped(actor, parseInput(metricsFilterSchema.strict(), ctx.query), true), now()));
  });
  r.get('/metrics/drill', allow('metrics.team'), async (ctx) => {
    const actor = actorOf(ctx);
    const { node, by, value, page, pageSize, ...filter } = parseInput(drillQuerySchema.strict(), ctx.query);
    ctx.body = await computeDrill(em(), actor, await scoped(actor, filter, true), { node, by, value, page, pageSize }, now());
  });

  r.get('/metrics/export', allow('metrics.export'), async (ctx: Context) => {
    const actor = actorOf(ctx);
    const { view, by, ...filter } = parseInput(exportQuerySchema.strict(), ctx.query);
    let rows;
    let scope;
    if (view === 'journey-heat') {
      const s = await scoped(actor, filter, true);
      const heat = await fresh(actor, computeJourneyHeat(em(), actor, s, by, now()));
      rows = journeyHeatCsv(heat);
      scope = heat.scope;
    } else {
      const res = await views[view](actor, filter);
      scope = res.scope;
      rows =
        view === 'kpis'
          ? kpisCsv(res as never)
          : view === 'lead-health'
            ? leadHealthCsv(res as never)
            : view === 'rep-battle'
              ? repBattleCsv(res as never)
              : channelRoiCsv(res as never);
    }
    const at = now();
    await app.tx.run((tx) =>
      new Audit(tx, { companyId: actor.companyId, actorId: actor.id, requestId: requestIdOf(ctx), at }).write('export', 0, 'export', [
        { field: 'view', before: null, after: { view, filters: { ...filter, ...(view === 'journey-heat' ? { by } : {}) }, scope } },
      ]),
    );
    const name = `lifeline-${view}-${scope.from}_${scope.to}.csv`;
    ctx.set('Content-Type', 'text/csv; charset=utf-8');
    ctx.set('Content-Disposition', `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = toCsv(rows);
  });

  spendAndConversationRoutes(app, r);
  return r;
}

/** The dashboard's inputs: monthly channel spend (admin) and reported conversations (chat platforms). */
function spendAndConversationRoutes(app: AppContext, r: Router): void {
  const now = () => app.clock.now();
  r.put('/metrics/channel-spend', allow('metrics.spend'), async (ctx) => {
    const actor = actorOf(ctx);
    const body = parseInput(channelSpendSchema.strict(), ctx.request.body);
    const amountFen = yuanToFen(body.amount);
    ctx.body = await app.tx.runRetryingUnique(async (tx) => {
      const at = now();
      const repo = tx.getRepository(ChannelSpend);
      const audit = new Audit(tx, { companyId: actor.companyId, actorId: actor.id, requestId: requestIdOf(ctx), at });
      let row = await repo.findOneBy({ companyId: actor.companyId, channel: body.channel, month: body.month });
      if (!row) {
        row = repo.create({ companyId: actor.companyId, channel: body.channel, month: body.month, amountFen, updatedBy: actor.id, updatedAt: at });
        await repo.insert(row);
        await audit.created('channel_spend', row.id, { channel: row.channel, month: row.month, amountFen });
      } else {
        const changes = diffFields(row, { amountFen });
        if (changes.length) {
          await repo.update({ id: row.id }, { amountFen, updatedBy: actor.id, updatedAt: at });
          await audit.changed('channel_spend', row.id, changes);
          Object.assign(row, { amountFen, updatedBy: actor.id, updatedAt: at });
        }
      }
      return { id: row.id, channel: row.channel, month: row.month, amount: row.amountFen / 100, amountFen: row.amountFen, updatedAt: row.updatedAt };
    });
  });

  /** Chat platforms report a rep's conversation with a customer (idempotent per rep × customer × China-time day). */
  r.post('/conversations', allow('conversation.record'), async (ctx) => {
    const actor = actorOf(ctx);
    const body = parseInput(conversationSchema, ctx.request.body);
    const at = body.at ? Date.parse(body.at) : now();
    if (at > now() + 5 * 60_000) throw badRequest('会话时间不能在将来');
    // Only the rep's own customers (a live lead they own): another rep's or company's customer would skew their entry rate.
    const [customer] = await app.ds.query(
      'SELECT c.id FROM customer c JOIN `lead` l ON l.customerId = c.id AND l.companyId = c.companyId AND l.ownerId = ? AND l.deletedAt IS NULL WHERE c.id = ? AND c.companyId = ? AND c.deletedAt IS NULL LIMIT 1',
      [actor.id, body.customerId, actor.companyId],
    );
    if (!customer) throw notFound(`客户不存在或不是你负责的客户（ID ${body.customerId}）`);
    ctx.body = await app.tx.run(async (tx) => {
      await recordConversation(tx, { companyId: actor.companyId, repId: actor.id, customerId: body.customerId, at, source: body.source }, now());
      const [row] = await tx.query(
        'SELECT id, day, firstAt, source, followupAt FROM conversation WHERE companyId = ? AND repId = ? AND customerId = ? AND day = ?',
        [actor.companyId, actor.id, body.customerId, chinaDayOf(at)],
      );
      return { id: Number(row.id), day: Number(row.day), firstAt: Number(row.firstAt), source: row.source, followed: row.followupAt !== null };
    });
  });
}
