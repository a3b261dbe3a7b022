import type { EntityManager } from 'typeorm';
import { leadCreateSchema } from '@lifeline/shared';
import { DEFAULT_MAPPING, applyMapping, invalidPaths, normaliseLead, type FieldMapping } from '@lifeline/shared/src/intake';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';
import { AppError, badRequest, notFound, unauthorized } from '../http/errors';
import { parseInput } from '../http/validate';
import { isUniqueViolation } from '../db/tx';
import { systemActor, type LeadService } from '../leads/leads.service';
import { DOUYIN_MAPPING, DOUYIN_MAX_SKEW_MS } from './douyin';
import { IntakeChannel, IntakeRecord, type ChannelKind } from './intake.entities';
import { douyinSignature, hashKey, newIntakeKey, sameHash, sameSignature } from './keys';
import { assertCan } from '../auth/permissions';

/** Thrown inside the lead transaction when the platform's lead id was already taken in: replay, not a new lead. */
class AlreadyTaken extends Error {
  constructor(readonly record: IntakeRecord) {
    super('already taken');
  }
}

export interface IntakeRequest {
  code: string;
  key?: string;
  timestamp?: string;
  signature?: string;
  rawBody: string;
  body: unknown;
  requestId?: string;
}

export interface ChannelInput {
  code: string;
  name: string;
  tag: string;
  kind: ChannelKind;
  mapping?: FieldMapping;
}

export class IntakeService {
  constructor(
    private readonly app: AppContext,
    private readonly leads: LeadService,
  ) {}

  /** One incoming lead: authenticate the channel, map, normalise, create (routing runs in the same transaction). */
  async receive(req: IntakeRequest) {
    // The company's auth version rides along (no extra round trip): a settings change made through the API in any
    // process governs the next intake, not one AUTH_CACHE_MS later.
    const {
      entities: [channel],
      raw: [row],
    } = await this.app.ds
      .getRepository(IntakeChannel)
      .createQueryBuilder('ch')
      .innerJoin(Company, 'co', 'co.id = ch.companyId')
      .addSelect('co.authVersion', 'companyVersion')
      .where('ch.code = :code', { code: req.code })
      .getRawAndEntities();
    if (!channel || !channel.active) throw notFound(`接入渠道「${req.code}」不存在或已停用`);
    this.authenticate(channel, req);
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
      throw badRequest('请求体应为一个 JSON 对象（一条线索）');
    }
    const mapped = applyMapping(req.body, channel.mapping);
    const norm = normaliseLead(mapped);
    if (!norm.ok) throw badRequest(norm.reason);
    const { externalId, channel: _ignored, ...fields } = norm.lead;
    void _ignored;
    if (externalId && externalId.length > 64) throw badRequest('平台线索ID过长（最多64个字符）');
    const body = parseInput(leadCreateSchema, { ...fields, channel: channel.tag });

    const actor = await this.companyActor(channel.companyId, Number(row.companyVersion));
    const now = () => this.app.clock.now();
    try {
      const result = await this.leads.create(actor, body, req.requestId, {
        before: async (em) => {
          if (externalId) {
            const seen = await em.getRepository(IntakeRecord).findOneBy({ channelId: channel.id, externalId });
            if (seen) throw new AlreadyTaken(seen);
          }
        },
        after: async (em, lead, _customer, created) => {
          await em.getRepository(IntakeRecord).insert({
            companyId: channel.companyId,
            channelId: channel.id,
            externalId: externalId ?? null,
            leadId: lead.id,
            outcome: created ? 'created' : 'merged',
            reason: null,
            payload: req.rawBody,
            createdAt: now(),
          });
        },
      });
      return {
        replayed: false,
        body: {
          leadId: result.lead.id,
          customerId: result.lead.customerId,
          status: result.lead.status,
          owner: result.lead.ownerId ? { id: result.lead.ownerId, name: result.lead.ownerName ?? null } : null,
          score: result.lead.score,
          attachedToExisting: result.attachedToExisting,
          warnings: norm.warnings,
        },
      };
    } catch (err) {
      if (err instanceof AlreadyTaken) return { replayed: true, body: { leadId: err.record.leadId, replayed: true } };
      throw err;
    }
  }

  /**
   * The system actor acting for a company: its settings, kept as briefly as signed-in users' (AUTH_CACHE_MS), and
   * rebuilt at once when the company's auth version has moved since (a settings change made in any process).
   */
  private async companyActor(companyId: number, version: number) {
    const key = `system:${companyId}`;
    const cached = this.app.actors.get(key);
    if (cached && cached.versions?.company === version) return cached;
    const company = await this.app.ds.getRepository(Company).findOneByOrFail({ id: companyId });
    const actor = { ...systemActor(companyId, effectiveSettings(company.settings)), versions: { user: 0, company: company.authVersion } };
    this.app.actors.set(key, actor);
    return actor;
  }

  private authenticate(channel: IntakeChannel, req: IntakeRequest) {
    if (channel.kind === 'douyin') {
      const secret = this.app.config.douyin?.pushSecret;
      if (!secret) throw new AppError(503, 'not_configured', '抖音线索推送未配置签名密钥（DOUYIN_PUSH_SECRET）');
      if (!req.timestamp || !/^\d{9,13}$/.test(req.timestamp) || !req.signature) throw unauthorized('缺少签名或时间戳');
      const ts = Number(req.timestamp) * (req.timestamp.length <= 10 ? 1000 : 1);
      if (Math.abs(this.app.clock.now() - ts) > DOUYIN_MAX_SKEW_MS) throw unauthorized('时间戳超出允许范围（±5分钟），请求被拒绝');
      if (!sameSignature(douyinSignature(secret, req.timestamp, req.rawBody), req.signature)) throw unauthorized('签名校验失败');
      return;
    }
    if (!req.key) throw unauthorized('缺少渠道密钥（请求头 X-Intake-Key）');
    if (!sameHash(channel.keyHash, hashKey(req.key))) throw unauthorized('渠道密钥不正确');
  }

  // ---- channel admin ----

  private requireAdmin(actor: Actor) {
    assertCan(actor, 'intake.channels');
  }

  async list(actor: Actor) {
    this.requireAdmin(actor);
    const rows = await this.app.ds.getRepository(IntakeChannel).find({ where: { companyId: actor.companyId }, order: { id: 'ASC' } });
    return { items: rows.map(view) };
  }

  async create(actor: Actor, input: ChannelInput, requestId?: string) {
    this.requireAdmin(actor);
    const mapping = input.mapping ?? (input.kind === 'douyin' ? DOUYIN_MAPPING : DEFAULT_MAPPING);
    checkMapping(mapping);
    if (await this.app.ds.getRepository(IntakeChannel).findOneBy({ code: input.code })) {
      throw badRequest(`渠道代码「${input.code}」已被使用，请换一个`);
    }
    const key = newIntakeKey();
    return this.app.tx.run(async (em) => {
      if (await em.getRepository(IntakeChannel).findOneBy({ code: input.code })) throw badRequest(`渠道代码「${input.code}」已被使用，请换一个`);
      const now = this.app.clock.now();
      const row = em.getRepository(IntakeChannel).create({
        companyId: actor.companyId,
        code: input.code,
        name: input.name,
        tag: input.tag,
        kind: input.kind,
        keyHash: hashKey(key),
        mapping,
        active: true,
        createdBy: actor.id,
        createdAt: now,
        updatedAt: now,
      });
      try {
        await em.getRepository(IntakeChannel).insert(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw badRequest(`渠道代码「${input.code}」已被使用，请换一个`);
        throw err;
      }
      const { keyHash: _h, ...snapshot } = row;
      void _h;
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('intake_channel', row.id, snapshot);
      // The key is returned once; only its hash is kept.
      return { ...view(row), key: input.kind === 'douyin' ? undefined : key };
    });
  }

  async update(
    actor: Actor,
    id: number,
    patch: Partial<Pick<ChannelInput, 'name' | 'tag' | 'mapping'>> & { active?: boolean; rotateKey?: boolean },
    requestId?: string,
  ) {
    this.requireAdmin(actor);
    if (patch.mapping) checkMapping(patch.mapping);
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = await em.getRepository(IntakeChannel).findOneBy({ id, companyId: actor.companyId });
      if (!row) throw notFound(`接入渠道不存在（ID ${id}）`);
      const fields = { name: patch.name, tag: patch.tag, mapping: patch.mapping, active: patch.active };
      const changes = diffFields(row, fields);
      const key = patch.rotateKey ? newIntakeKey() : undefined;
      if (key) changes.push({ field: 'keyHash', before: '（旧密钥）', after: '（已更换）' });
      if (changes.length) {
        const update = {
          ...Object.fromEntries(changes.filter((c) => c.field !== 'keyHash').map((c) => [c.field, c.after])),
          updatedAt: now,
          ...(key ? { keyHash: hashKey(key) } : {}),
        };
        await em.getRepository(IntakeChannel).update({ id }, update);
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('intake_channel', id, changes);
        Object.assign(row, update);
      }
      return { ...view(row), key, changed: changes.map((c) => c.field) };
    });
  }

  /** The archived payloads behind a lead (raw, as received). */
  async recordsFor(em: EntityManager, companyId: number, leadId: number) {
    const rows = await em.getRepository(IntakeRecord).find({ where: { companyId, leadId }, order: { id: 'ASC' } });
    const channels = await em.getRepository(IntakeChannel).findBy({ companyId });
    return rows.map((r) => ({
      id: r.id,
      channel: channels.find((c) => c.id === r.channelId)?.name ?? null,
      externalId: r.externalId,
      outcome: r.outcome,
      receivedAt: r.createdAt,
      payload: safeJson(r.payload),
    }));
  }
}

function checkMapping(mapping: FieldMapping) {
  const bad = invalidPaths(mapping);
  if (bad.length) throw badRequest(`字段映射的路径无效：${bad.join('、')}（示例：$.data.phone 或 $.fields[0].value）`);
  if (!mapping.phone) throw badRequest('字段映射必须包含手机号（phone）');
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function view(c: IntakeChannel) {
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    tag: c.tag,
    kind: c.kind,
    mapping: c.mapping,
    active: c.active,
    url: `/api/intake/${c.code}`,
    createdAt: c.createdAt,
  };
}
