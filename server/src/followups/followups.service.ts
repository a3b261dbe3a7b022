import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { nextJourneyNode, type FollowupCreateBody } from '@lifeline/shared';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { KEY_FIELD_ROLES } from '../auth/actor';
import { Audit, diffFields, writeAudits, type AuditRecord } from '../audit/audit.service';
import { recordJourneySteps, type JourneyStep } from '../journey/journey-step';
import { Lead } from '../leads/lead.entity';
import { canRecordFollowup, canWriteLead } from '../leads/lead-scope';
import { visibleLead, type LeadService } from '../leads/leads.service';
import { AppError, badRequest, conflict, forbidden, notFound } from '../http/errors';
import { findById, findByIds, insertRow, insertRows, updateManyById } from '../db/rows';
import { GroupCommit, type Outcome } from '../db/group-commit';
import { Followup } from './followup.entity';

const MINUTE = 60_000;
/** The action that signs a lead: it needs the course signed (demand match compares it with the customer's concerns). */
const SIGNING_ACTION = '已签约';
/** A next step may be a few minutes "late" (the rep picked 15:00 at 15:02) but not in the past, nor absurdly far. */
const NEXT_STEP_GRACE = 10 * MINUTE;
const NEXT_STEP_MAX_AHEAD = 366 * 24 * 60 * MINUTE;

interface FollowupResult {
  status: 201 | 200;
  replayed: boolean;
  body: ReturnType<typeof followupView> & { lead: LeadSummary };
}

type LeadSummary = Pick<Lead, 'id' | 'status' | 'journeyNode' | 'firstFollowupAt' | 'lastFollowupAt' | 'nextStepDueAt' | 'nextStepAction' | 'claimedAt'>;

function followupView(f: Followup) {
  return {
    id: f.id,
    leadId: f.leadId,
    customerId: f.customerId,
    authorId: f.authorId,
    action: f.action,
    conclusion: f.conclusion,
    nextStepAt: f.nextStepAt,
    nextStepAction: f.nextStepAction,
    source: f.source,
    transcript: f.transcript,
    scriptId: f.scriptId,
    signedCourse: f.signedCourse,
    clientRequestId: f.clientRequestId,
    createdAt: f.createdAt,
    deletedAt: f.deletedAt,
  };
}

const summary = (l: Lead): LeadSummary => ({
  id: l.id,
  status: l.status,
  journeyNode: l.journeyNode,
  firstFollowupAt: l.firstFollowupAt,
  lastFollowupAt: l.lastFollowupAt,
  nextStepDueAt: l.nextStepDueAt,
  nextStepAction: l.nextStepAction,
  claimedAt: l.claimedAt,
});

/** Canonical hash of what was asked, so a reused key with a different body is caught. */
function hashBody(body: FollowupCreateBody): string {
  const { clientRequestId: _ignored, ...rest } = body;
  const canonical = JSON.stringify(rest, Object.keys(rest).sort());
  return createHash('sha256').update(canonical).digest('hex');
}

interface SaveRequest {
  actor: Actor;
  body: FollowupCreateBody;
  key: string;
  requestHash: string;
  requestId?: string;
}

interface Checked {
  lead: Lead;
  now: number;
  signing: boolean;
  nextStepAt: number | null;
}

/** Which of the saves' idempotency keys are already stored (as `companyId:key`). */
async function existingKeys(em: EntityManager, saves: SaveRequest[]): Promise<Set<string>> {
  const byCompany = new Map<number, string[]>();
  for (const s of saves) byCompany.set(s.actor.companyId, [...(byCompany.get(s.actor.companyId) ?? []), s.key]);
  const out = new Set<string>();
  for (const [companyId, keys] of byCompany) {
    const rows: { clientRequestId: string }[] = await em.query(
      `SELECT clientRequestId FROM followup WHERE companyId = ? AND clientRequestId IN (${keys.map(() => '?').join(', ')})`,
      [companyId, ...keys],
    );
    rows.forEach((r) => out.add(`${companyId}:${r.clientRequestId}`));
  }
  return out;
}

export class FollowupService {
  private readonly saves: GroupCommit<SaveRequest, FollowupResult>;

  constructor(
    private readonly app: AppContext,
    private readonly leads: LeadService,
  ) {
    const grouping = app.config.followupGroupCommit ?? { maxBatch: 1, slots: Number.POSITIVE_INFINITY };
    this.saves = new GroupCommit({
      maxBatch: grouping.maxBatch,
      slots: grouping.slots,
      keys: (s) => [`lead:${s.body.leadId}`, `key:${s.actor.companyId}:${s.key}`],
      alone: (s) => this.saveAlone(s),
      together: (saves) => this.saveTogether(saves),
    });
  }

  /** How saves were grouped since start (benchmarks print it). */
  get groupCommitStats() {
    return { ...this.saves.stats, waiting: this.saves.waiting };
  }

  /**
   * Records a follow-up in one transaction: the follow-up, the lead's first/last follow-up times, its
   * journey node, and its next step (the next step is the reminder). The same idempotency key returns
   * the first result and writes nothing, including when two copies of a request race. Under load, saves that
   * arrive together share a transaction (group commit, see db/group-commit.ts); each still gets its own answer.
   */
  async create(actor: Actor, body: FollowupCreateBody, idempotencyKey: string | undefined, requestId?: string): Promise<FollowupResult> {
    const key = idempotencyKey ?? body.clientRequestId;
    if (!key) throw badRequest('缺少请求编号：请在 Idempotency-Key 请求头或 clientRequestId 字段中提供，以便安全重试');
    if (idempotencyKey && body.clientRequestId && idempotencyKey !== body.clientRequestId) {
      throw badRequest('Idempotency-Key 请求头与 clientRequestId 不一致');
    }
    const requestHash = hashBody(body);
    // A script named by the request must be one of the company's own (its title shows on the timeline).
    if (body.scriptId !== undefined) {
      const [script] = await this.app.ds.query('SELECT id FROM script WHERE id = ? AND companyId = ?', [body.scriptId, actor.companyId]);
      if (!script) {
        const first = await this.replay(actor, key, requestHash);
        if (first) return first;
        throw badRequest(`话术不存在（ID ${body.scriptId}），请从本公司的话术库中选择`);
      }
    }
    return this.saves.submit({ actor, body, key, requestHash, requestId });
  }

  /** One save in its own transaction: the path every save takes when the server is not busy. */
  private async saveAlone(s: SaveRequest): Promise<FollowupResult> {
    // No look-up first: a first submit (the common case) goes straight to its transaction, where the key's unique
    // index stops a repeat. Any failure is then checked against the key, so a retry of a request that already
    // committed gets the first result even if the lead has since moved out of reach or the settings changed.
    // (A deadlock victim is run again by Tx itself: nothing was written.)
    try {
      return await this.app.tx.run(async (em) => this.apply(em, s, await this.check(em, s)), 'followup.save');
    } catch (err) {
      const first = await this.replay(s.actor, s.key, s.requestHash);
      if (first) return first;
      throw err;
    }
  }

  /**
   * Several saves (distinct leads and keys) in one transaction: the leads' locks (one statement), which keys exist,
   * the follow-up INSERTs (one statement), then each save's lead update, audit, journey and outbox rows. A save whose
   * own check fails gets its 4xx and writes nothing; a key that already exists goes back to the ordinary path (the
   * first result is replayed there). Anything else throws: the transaction rolled back and each save runs alone.
   */
  private async saveTogether(saves: SaveRequest[]): Promise<Outcome<FollowupResult>[]> {
    const outcomes: Outcome<FollowupResult>[] = saves.map(() => ({ alone: true }));
    // One lock order for every shared transaction (by author, whose rep_day row is written, then lead).
    const order = saves.map((_, i) => i).sort((a, b) => saves[a].actor.id - saves[b].actor.id || saves[a].body.leadId - saves[b].body.leadId);
    await this.app.tx.run(async (em) => {
      const checked: (Checked | undefined)[] = [];
      // Every lead locked by one statement (in id order), then which keys exist (read after the locks).
      const leads = await findByIds(
        em,
        Lead,
        saves.map((s) => s.body.leadId),
        { lock: true },
      );
      const known = await existingKeys(em, saves);
      for (const i of order) {
        try {
          checked[i] = this.checkLead(saves[i], leads.get(saves[i].body.leadId));
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          outcomes[i] = { error: err };
        }
      }
      // A repeat of a stored save is answered by the ordinary path's replay, whatever its check said now.
      const repeats = new Set(order.filter((i) => known.has(`${saves[i].actor.companyId}:${saves[i].key}`)));
      repeats.forEach((i) => {
        outcomes[i] = { alone: true };
      });
      const ready = order.filter((i) => checked[i] && !repeats.has(i));
      const rows = ready.map((i) => this.build(em, saves[i], checked[i]!));
      await insertRows(em, Followup, rows, ['companyId', 'clientRequestId']);
      const results = await this.finishAll(
        em,
        ready.map((i, k) => ({ s: saves[i], c: checked[i]!, followup: rows[k] })),
      );
      ready.forEach((i, k) => {
        outcomes[i] = { value: results[k] };
      });
    }, 'followup.saveGroup');
    return outcomes;
  }

  private async replay(actor: Actor, key: string, requestHash: string): Promise<FollowupResult | null> {
    const existing = await this.app.ds.getRepository(Followup).findOneBy({ companyId: actor.companyId, clientRequestId: key });
    if (!existing) return null;
    if (existing.requestHash !== requestHash) {
      throw conflict('该请求编号已用于另一条内容不同的跟进记录，请使用新的请求编号');
    }
    if (existing.authorId !== actor.id) throw conflict('该请求编号已被其他人使用，请使用新的请求编号');
    const lead = await this.app.ds.getRepository(Lead).findOneByOrFail({ id: existing.leadId, companyId: actor.companyId });
    return { status: 200, replayed: true, body: { ...followupView(existing), lead: summary(lead) } };
  }

  /** Locks the lead and checks the request against it; throws the 4xx a person can act on. Writes nothing. */
  private async check(em: EntityManager, s: SaveRequest): Promise<Checked> {
    return this.checkLead(s, await findById(em, Lead, s.body.leadId, { lock: true }));
  }

  /** The checks of a save against its lead as locked (null: no such row). */
  private checkLead(s: SaveRequest, row: Lead | null | undefined): Checked {
    const { actor, body } = s;
    const now = this.app.clock.now();
    const lead = visibleLead(actor, body.leadId, row);
    if (!canRecordFollowup(actor, lead))
      throw forbidden(lead.coOwnerId === actor.id ? '本公司设置为协同人不能记录跟进，请联系负责人' : '你只能查看这条线索，不能添加跟进');
    if (!actor.settings.actionTags.includes(body.action)) {
      throw badRequest(`未知的跟进动作「${body.action}」，请从以下选择：${actor.settings.actionTags.join('、')}`);
    }
    const signing = body.action === SIGNING_ACTION;
    if (signing && !actor.settings.courses.some((c) => c.name === body.signedCourse)) {
      throw badRequest(`签约请选择所签课程：${actor.settings.courses.map((c) => c.name).join('、')}`);
    }
    if (!signing && body.signedCourse !== undefined) throw badRequest('只有「已签约」的跟进可以填写所签课程');
    let nextStepAt: number | null = null;
    if (body.nextStep) {
      nextStepAt = Date.parse(body.nextStep.at);
      if (nextStepAt < now - NEXT_STEP_GRACE) throw badRequest('下一步时间已经过去，请选择将来的时间', { field: 'nextStep.at' });
      if (nextStepAt > now + NEXT_STEP_MAX_AHEAD) throw badRequest('下一步时间太远（超过一年），请重新选择', { field: 'nextStep.at' });
    }
    return { lead, now, signing, nextStepAt };
  }

  /** The writes of a checked save, in the caller's transaction. */
  private async apply(em: EntityManager, s: SaveRequest, c: Checked): Promise<FollowupResult> {
    const followup = await insertRow(em, Followup, this.build(em, s, c));
    const [result] = await this.finishAll(em, [{ s, c, followup }]);
    return result;
  }

  /** The follow-up row a checked save stores (no id yet). */
  private build(em: EntityManager, s: SaveRequest, c: Checked): Followup {
    const { actor, body, key, requestHash } = s;
    const { lead, now, signing, nextStepAt } = c;
    return em.getRepository(Followup).create({
      companyId: actor.companyId,
      leadId: lead.id,
      customerId: lead.customerId,
      authorId: actor.id,
      action: body.action,
      conclusion: body.conclusion,
      nextStepAt,
      nextStepAction: body.nextStep?.action ?? null,
      source: body.source,
      transcript: body.transcript ?? null,
      scriptId: body.scriptId ?? null,
      signedCourse: signing ? body.signedCourse! : null,
      clientRequestId: key,
      requestHash,
      createdAt: now,
      deletedAt: null,
    });
  }

  /** The lead patch, audit records and journey step of one stored follow-up (no IO). */
  private plan(s: SaveRequest, c: Checked, followup: Followup) {
    const { actor, body } = s;
    const { lead, now, signing, nextStepAt } = c;
    const node = nextJourneyNode(lead.journeyNode, body.action, actor.settings.actionNodeRules);
    const status = signing ? 'won' : lead.status === 'pending' || lead.status === 'assigned' ? 'following' : lead.status;
    const patch: Partial<Lead> = {
      firstFollowupAt: lead.firstFollowupAt ?? now,
      lastFollowupAt: now,
      // The latest follow-up's plan replaces the previous one; none means no open reminder.
      nextStepDueAt: nextStepAt,
      nextStepAction: body.nextStep?.action ?? null,
      journeyNode: node,
      status,
      claimedAt: lead.claimedAt ?? (lead.ownerId === actor.id ? now : null),
      ...(signing ? { signedAt: lead.signedAt ?? now, signedCourse: body.signedCourse! } : {}),
    };
    const records: AuditRecord[] = [
      { entity: 'followup', entityId: followup.id, action: 'create', changes: [{ field: '*', before: null, after: followup }] },
      { entity: 'lead', entityId: lead.id, action: 'update', changes: diffFields(lead, patch) },
    ];
    const step: JourneyStep | null =
      node === lead.journeyNode
        ? null
        : {
            companyId: actor.companyId,
            leadId: lead.id,
            fromNode: lead.journeyNode,
            toNode: node,
            at: now,
            actorId: actor.id,
            followupId: followup.id,
            scriptId: followup.scriptId,
          };
    return { patch: { ...patch, updatedAt: now }, records, step };
  }

  /**
   * Everything stored follow-ups change: their leads, audit trails, journeys, and the events' subscribers (the outbox
   * among them), a statement per kind of write however many saves share the transaction.
   */
  private async finishAll(em: EntityManager, items: { s: SaveRequest; c: Checked; followup: Followup }[]): Promise<FollowupResult[]> {
    const plans = items.map(({ s, c, followup }) => this.plan(s, c, followup));
    await updateManyById(
      em,
      Lead,
      items.map(({ c }, i) => ({ id: c.lead.id, patch: plans[i].patch })),
    );
    await writeAudits(
      em,
      items.map(({ s, c }, i) => ({
        ctx: { companyId: s.actor.companyId, actorId: s.actor.id, requestId: s.requestId, at: c.now },
        records: plans[i].records,
      })),
    );
    await recordJourneySteps(
      em,
      plans.flatMap((p) => (p.step ? [p.step] : [])),
    );
    const emitted = items.map(({ s, c, followup }, i) => {
      const leadBefore = { ...c.lead };
      Object.assign(c.lead, plans[i].patch);
      return {
        event: { type: 'followup.created' as const, followup, lead: c.lead, leadBefore },
        meta: { companyId: s.actor.companyId, actorId: s.actor.id, at: c.now, requestId: s.requestId, companySettings: s.actor.settings },
      };
    });
    await this.app.events.emitAll(em, emitted);
    return items.map(({ followup, c }) => ({ status: 201, replayed: false, body: { ...followupView(followup), lead: summary(c.lead) } }));
  }

  async listForLead(actor: Actor, leadId: number) {
    await this.leads.findVisible(this.app.ds.manager, actor, leadId);
    const rows = await this.app.ds.getRepository(Followup).find({
      where: { companyId: actor.companyId, leadId },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    return rows.filter((f) => f.deletedAt === null).map(followupView);
  }

  /**
   * Soft delete / restore. The lead's first and last follow-up times are recomputed from what remains,
   * so KPIs never count a follow-up that was withdrawn.
   */
  async setDeleted(actor: Actor, id: number, deleted: boolean, requestId?: string) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const f = await em.getRepository(Followup).findOneBy({ id, companyId: actor.companyId });
      if (!f) throw notFound(`跟进记录不存在（ID ${id}）`);
      const lead = await this.leads.findVisible(em, actor, f.leadId, { lock: true, withDeleted: true });
      // A manager of the lead's team, or the author where they may still record on it (a co-owner only their own).
      const allowed = (KEY_FIELD_ROLES.includes(actor.role) && canWriteLead(actor, lead)) || (f.authorId === actor.id && canRecordFollowup(actor, lead));
      if (!allowed) {
        throw forbidden(f.authorId === actor.id ? '本公司设置为协同人不能记录跟进，请联系负责人' : '只有记录人、主管或管理员可以删除或恢复跟进记录');
      }
      if (deleted === (f.deletedAt !== null)) throw conflict(deleted ? '这条跟进记录已删除' : '这条跟进记录未被删除');
      const deletedAt = deleted ? now : null;
      await em.getRepository(Followup).update({ id }, { deletedAt });
      const audit = new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now });
      await audit.changed('followup', id, [{ field: 'deletedAt', before: f.deletedAt, after: deletedAt }], deleted ? 'delete' : 'restore');

      const [agg] = await em.query(
        'SELECT MIN(createdAt) AS first, MAX(createdAt) AS last FROM followup WHERE companyId = ? AND leadId = ? AND deletedAt IS NULL',
        [actor.companyId, lead.id],
      );
      const patch: Partial<Lead> = {
        firstFollowupAt: agg?.first == null ? null : Number(agg.first),
        lastFollowupAt: agg?.last == null ? null : Number(agg.last),
      };
      const changes = diffFields(lead, patch);
      if (changes.length) {
        await em.getRepository(Lead).update({ id: lead.id }, { ...patch, updatedAt: now });
        await audit.changed('lead', lead.id, changes);
        Object.assign(lead, patch, { updatedAt: now });
      }
      f.deletedAt = deletedAt;
      await this.app.events.emit(
        em,
        { type: deleted ? 'followup.deleted' : 'followup.restored', followup: f, lead },
        {
          companyId: actor.companyId,
          actorId: actor.id,
          at: now,
          requestId,
        },
      );
      return { id, deletedAt };
    }, 'followup.delete');
  }
}
