import type { EntityManager } from 'typeorm';
import { LEAD_STATUS_LABELS, leadCreateSchema, maskPhone, type LeadStatus } from '@lifeline/shared';
import { normaliseLead } from '@lifeline/shared/src/intake';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';
import { Lead } from '../leads/lead.entity';
import { systemActor, type LeadService } from '../leads/leads.service';
import { badRequest, conflict, notFound, unauthorized } from '../http/errors';
import { parseInput } from '../http/validate';
import { isUniqueViolation } from '../db/tx';
import { insertRow } from '../db/rows';
import { hashKey, newIntakeKey } from '../intake/keys';
import { Partner, PartnerReferral } from './partner.entities';

const PAGE = 50;

export interface ReferralInput {
  ref: string;
  phone: string;
  name?: string;
  city?: string;
  grade?: string;
  concerns?: string[];
}

/** Thrown inside a lead's transaction when the referral was decided meanwhile: nothing is created. */
class AlreadyDecided extends Error {}

/**
 * 渠道商 (partners): a key per partner; a partner refers leads (created at once, or held for a supervisor's approval)
 * and reads the progress of its own referrals — stage, status, last contact date, phone masked — and nothing else.
 */
export class Partners {
  constructor(
    private readonly app: AppContext,
    private readonly leads: LeadService,
  ) {}

  // ---- the partner's side (X-Partner-Key) ----

  async authenticate(key: string | undefined): Promise<Partner> {
    if (!key) throw unauthorized('缺少合作方密钥（请求头 X-Partner-Key）');
    const partner = await this.app.ds.getRepository(Partner).findOneBy({ keyHash: hashKey(key) });
    if (!partner || !partner.active) throw unauthorized('合作方密钥不正确或已停用');
    return partner;
  }

  async refer(partner: Partner, input: ReferralInput, requestId?: string) {
    const norm = normaliseLead({ phone: input.phone, name: input.name, city: input.city, grade: input.grade, concerns: input.concerns });
    if (!norm.ok) throw badRequest(norm.reason);
    const { externalId: _x, channel: _c, ...fields } = norm.lead;
    void _x;
    void _c;
    const body = parseInput(leadCreateSchema, { ...fields, channel: partner.tag });
    const payload = JSON.stringify(body);
    const seen = await this.app.ds.getRepository(PartnerReferral).findOneBy({ partnerId: partner.id, ref: input.ref });
    if (seen) return { replayed: true, body: await this.progressOne(seen) };
    try {
      if (partner.requireApproval) {
        const row = await this.app.tx.run((em) => this.insertReferral(em, partner, input.ref, body.phone, payload, 'pending', null));
        return { replayed: false, body: await this.progressOne(row) };
      }
      const actor = await this.companyActor(partner.companyId);
      let referral: PartnerReferral | null = null;
      await this.leads.create(actor, body, requestId, {
        after: async (em, lead) => {
          referral = await this.insertReferral(em, partner, input.ref, body.phone, payload, 'approved', lead.id);
        },
      });
      return { replayed: false, body: await this.progressOne(referral!) };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const row = await this.app.ds.getRepository(PartnerReferral).findOneByOrFail({ partnerId: partner.id, ref: input.ref });
      return { replayed: true, body: await this.progressOne(row) };
    }
  }

  /** The partner's referrals, newest first, with how far each has come. */
  async progress(partner: Partner, page: number) {
    const [rows, total] = await this.app.ds
      .getRepository(PartnerReferral)
      .findAndCount({ where: { partnerId: partner.id }, order: { createdAt: 'DESC', id: 'DESC' }, skip: (page - 1) * PAGE, take: PAGE });
    return { items: await this.progressOf(rows), total, page, pageSize: PAGE };
  }

  private async progressOne(row: PartnerReferral) {
    return (await this.progressOf([row]))[0];
  }

  /** What a partner may know: its ref, when, the decision, and for a lead its stage, status and last contact date. */
  private async progressOf(rows: PartnerReferral[]) {
    const ids = rows.map((r) => r.leadId).filter((x): x is number => x !== null);
    const leads = ids.length ? await this.app.ds.getRepository(Lead).findBy(ids.map((id) => ({ id }))) : [];
    return rows.map((r) => {
      const lead = leads.find((l) => l.id === r.leadId);
      const name = (JSON.parse(r.payload) as { name?: string }).name ?? null;
      return {
        ref: r.ref,
        submittedAt: new Date(r.createdAt).toISOString(),
        status: r.status,
        reason: r.status === 'rejected' ? r.reason : null,
        name,
        phone: maskPhone(r.phone),
        lead: lead
          ? {
              stage: lead.journeyNode,
              status: LEAD_STATUS_LABELS[lead.status as LeadStatus] ?? lead.status,
              lastContactDate: lead.lastFollowupAt === null ? null : chinaDate(lead.lastFollowupAt),
              deleted: lead.deletedAt !== null,
            }
          : null,
      };
    });
  }

  private insertReferral(
    em: EntityManager,
    partner: Partner,
    ref: string,
    phone: string,
    payload: string,
    status: 'pending' | 'approved',
    leadId: number | null,
  ) {
    return insertRow(
      em,
      PartnerReferral,
      em.getRepository(PartnerReferral).create({
        companyId: partner.companyId,
        partnerId: partner.id,
        ref,
        status,
        payload,
        phone,
        leadId,
        reason: null,
        decidedBy: null,
        decidedAt: status === 'approved' ? this.app.clock.now() : null,
        createdAt: this.app.clock.now(),
      }),
    );
  }

  private async companyActor(companyId: number) {
    const company = await this.app.ds.getRepository(Company).findOneByOrFail({ id: companyId });
    return systemActor(companyId, effectiveSettings(company.settings));
  }

  // ---- the company's side ----

  async list(actor: Actor) {
    const rows = await this.app.ds.getRepository(Partner).find({ where: { companyId: actor.companyId }, order: { id: 'ASC' } });
    return { items: rows.map(partnerView) };
  }

  async create(actor: Actor, input: { name: string; tag: string; requireApproval: boolean }, requestId?: string) {
    const key = newIntakeKey().replace(/^lk_/, 'pk_');
    const row = await this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const p = await insertRow(
        em,
        Partner,
        em
          .getRepository(Partner)
          .create({ companyId: actor.companyId, ...input, keyHash: hashKey(key), active: true, createdBy: actor.id, createdAt: now, updatedAt: now }),
      );
      const { keyHash: _k, ...snapshot } = p;
      void _k;
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('partner', p.id, snapshot);
      return p;
    });
    return { ...partnerView(row), key };
  }

  async update(
    actor: Actor,
    id: number,
    patch: { name?: string; tag?: string; requireApproval?: boolean; active?: boolean; rotateKey?: boolean },
    requestId?: string,
  ) {
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = await em.getRepository(Partner).findOneBy({ id, companyId: actor.companyId });
      if (!row) throw notFound(`合作方不存在（ID ${id}）`);
      const changes = diffFields(row, { name: patch.name, tag: patch.tag, requireApproval: patch.requireApproval, active: patch.active });
      const key = patch.rotateKey ? newIntakeKey().replace(/^lk_/, 'pk_') : undefined;
      const update = { ...Object.fromEntries(changes.map((c) => [c.field, c.after])), ...(key ? { keyHash: hashKey(key) } : {}), updatedAt: now };
      if (changes.length || key) {
        await em.getRepository(Partner).update({ id }, update);
        const audited = key ? [...changes, { field: 'keyHash', before: '（旧密钥）', after: '（已更换）' }] : changes;
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('partner', id, audited);
      }
      return { ...partnerView(Object.assign(row, update)), key, changed: [...changes.map((c) => c.field), ...(key ? ['key'] : [])] };
    });
  }

  async referrals(actor: Actor, q: { status?: PartnerReferral['status']; page: number }) {
    const [rows, total] = await this.app.ds.getRepository(PartnerReferral).findAndCount({
      where: { companyId: actor.companyId, ...(q.status ? { status: q.status } : {}) },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (q.page - 1) * PAGE,
      take: PAGE,
    });
    const partners = await this.app.ds.getRepository(Partner).findBy({ companyId: actor.companyId });
    return {
      items: rows.map((r) => ({
        id: r.id,
        partner: partners.find((p) => p.id === r.partnerId)?.name ?? null,
        ref: r.ref,
        status: r.status,
        reason: r.reason,
        leadId: r.leadId,
        fields: JSON.parse(r.payload) as Record<string, unknown>,
        createdAt: r.createdAt,
      })),
      total,
      page: q.page,
      pageSize: PAGE,
    };
  }

  /** A supervisor lets a held referral in: the lead is created now (routed like any new lead), once. */
  async approve(actor: Actor, id: number, requestId?: string) {
    const row = await this.pending(actor, id);
    try {
      const result = await this.leads.create(systemActorFor(actor), JSON.parse(row.payload), requestId, {
        after: async (em, lead) => {
          const now = this.app.clock.now();
          const moved = await em
            .getRepository(PartnerReferral)
            .update({ id, status: 'pending' }, { status: 'approved', leadId: lead.id, decidedBy: actor.id, decidedAt: now });
          if (!moved.affected) throw new AlreadyDecided();
          await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('partner_referral', id, [
            { field: 'status', before: 'pending', after: 'approved' },
            { field: 'leadId', before: null, after: lead.id },
          ]);
        },
      });
      return { id, status: 'approved', leadId: result.lead.id };
    } catch (err) {
      if (err instanceof AlreadyDecided) throw conflict('这条推荐已被处理');
      throw err;
    }
  }

  async reject(actor: Actor, id: number, reason: string, requestId?: string) {
    await this.pending(actor, id);
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const moved = await em
        .getRepository(PartnerReferral)
        .update({ id, status: 'pending' }, { status: 'rejected', reason, decidedBy: actor.id, decidedAt: now });
      if (!moved.affected) throw conflict('这条推荐已被处理');
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('partner_referral', id, [
        { field: 'status', before: 'pending', after: 'rejected' },
        { field: 'reason', before: null, after: reason },
      ]);
      return { id, status: 'rejected', reason };
    });
  }

  private async pending(actor: Actor, id: number) {
    const row = await this.app.ds.getRepository(PartnerReferral).findOneBy({ id, companyId: actor.companyId });
    if (!row) throw notFound(`推荐不存在（ID ${id}）`);
    if (row.status !== 'pending') throw conflict('这条推荐已被处理');
    return row;
  }
}

/** Leads let in by a supervisor are created as the company's (routing places them), not as the supervisor's own. */
function systemActorFor(actor: Actor): Actor {
  return systemActor(actor.companyId, actor.settings);
}

function chinaDate(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

function partnerView(p: Partner) {
  return { id: p.id, name: p.name, tag: p.tag, requireApproval: p.requireApproval, active: p.active, createdAt: p.createdAt };
}
