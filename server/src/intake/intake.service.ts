import type { EntityManager } from 'typeorm';
import { leadCreateSchema } from '@lifeline/shared';
import { DEFAULT_MAPPING, applyMapping, invalidPaths, normaliseLead, type FieldMapping } from '@lifeline/shared/src/intake';
import type { AppContext } from '../context';
import { jsonOrText } from '../http/json-text';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { effectiveSettings } from '../companies/settings';
import { AppError, badRequest, conflict, notFound, unauthorized } from '../http/errors';
import QRCode from 'qrcode';
import { parseInput } from '../http/validate';
import { isUniqueViolation } from '../db/tx';
import { systemActor, type LeadService } from '../leads/leads.service';
import { DOUYIN_MAPPING, DOUYIN_MAX_SKEW_MS } from './douyin';
import { OCEANENGINE_MAPPING, challengeOf, parseEnvelope, spiSignatureValid, type SpiEnvelope } from './oceanengine';
import { IntakeChannel, IntakeRecord, type ChannelKind, type FormOptions } from './intake.entities';
import { douyinSignature, hashKey, newIntakeKey, sameHash, sameSignature } from './keys';
import { assertCan } from '../auth/permissions';
import { doneOutside } from '../db/tx';

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

export interface SpiRequest {
  code: string;
  rawBody: Buffer;
  query: Record<string, unknown>;
  signature?: string;
  requestId?: string;
}

export type SpiOutcome =
  | { kind: 'challenge'; challenge: string }
  | { kind: 'ignored'; label: string | null; replayed: boolean }
  | { kind: 'lead'; label: string | null; replayed: boolean; body: { leadId: number | null } };

/** How old a push may be (the platform retries failed deliveries; redeliveries are deduplicated by message id anyway). */
const SPI_MAX_AGE_MS = 72 * 3600_000;
const SPI_MAX_AHEAD_MS = 5 * 60_000;

export interface ChannelInput {
  code: string;
  name: string;
  tag: string;
  kind: ChannelKind;
  mapping?: FieldMapping;
  secret?: string;
  serviceLabels?: string[];
}

export class IntakeService {
  constructor(
    private readonly app: AppContext,
    private readonly leads: LeadService,
  ) {}

  /** One incoming lead: authenticate the channel, map, normalise, create (routing runs in the same transaction). */
  async receive(req: IntakeRequest) {
    const { channel, companyVersion } = await this.channelByCode(req.code);
    if (channel.kind === 'oceanengine') throw badRequest('巨量引擎 SPI 渠道请使用 /api/spi/oceanengine/<渠道代码> 地址推送');
    this.authenticate(channel, req);
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
      throw badRequest('请求体应为一个 JSON 对象（一条线索）');
    }
    return this.take(channel, companyVersion, req.body, { rawBody: req.rawBody, requestId: req.requestId });
  }

  /**
   * One 巨量引擎 SPI push (reference platform-2.md §5): signature over the raw bytes first, then the envelope; a
   * redelivered `message_id` or an already taken clue id is acknowledged without a second lead. Throws AppErrors
   * whose status the route turns into the platform's StatusCode (4xx: no retry).
   */
  async receiveSpi(req: SpiRequest): Promise<SpiOutcome> {
    const { channel, companyVersion } = await this.channelByCode(req.code);
    if (channel.kind !== 'oceanengine') throw notFound(`接入渠道「${req.code}」不是巨量引擎 SPI 渠道`);
    const challenge = challengeOf(req.query, req.rawBody.toString('utf8'));
    if (challenge !== null) return { kind: 'challenge', challenge };
    if (!channel.secret) throw new AppError(503, 'not_configured', '该渠道未配置巨量 SPI 签名密钥，请在渠道设置中填写');
    if (!spiSignatureValid(channel.secret, req.rawBody, req.signature)) throw unauthorized('签名校验失败（X-Open-Signature）');
    const rawBody = req.rawBody.toString('utf8');
    const envelope = parseEnvelope(rawBody);
    if ('error' in envelope) throw badRequest(envelope.error);
    const now = this.app.clock.now();
    if (envelope.timestamp !== null && (envelope.timestamp < now - SPI_MAX_AGE_MS || envelope.timestamp > now + SPI_MAX_AHEAD_MS)) {
      throw badRequest('推送时间戳超出允许范围（72小时内），请求被拒绝');
    }
    const labels = channel.options?.serviceLabels ?? [];
    if (labels.length && !labels.includes(envelope.serviceLabel ?? '')) {
      return { kind: 'ignored', label: envelope.serviceLabel, replayed: !(await this.archiveIgnored(channel, envelope, rawBody)) };
    }
    const result = await this.take(channel, companyVersion, envelope.data, { rawBody, requestId: req.requestId, messageId: envelope.messageId });
    return { kind: 'lead', label: envelope.serviceLabel, ...result };
  }

  /**
   * One submission of a channel's public lead form: the fields are the form's own (not the channel's API mapping), the
   * channel's tag is the lead's source, `campaign` comes from the page's utm_campaign. The route has checked origin,
   * rate and honeypot.
   */
  async receiveForm(code: string, payload: object, rawBody: string, requestId?: string) {
    const { channel, companyVersion } = await this.channelByCode(code);
    if (!channel.options?.form?.enabled) throw notFound('表单不存在或已关闭');
    return this.take(channel, companyVersion, payload, { rawBody, requestId, mapping: FORM_MAPPING });
  }

  /** A channel's public form settings by code (null: no such channel, or its form is off). */
  async formOf(code: string): Promise<(FormOptions & { code: string }) | null> {
    const channel = await this.app.ds.getRepository(IntakeChannel).findOneBy({ code });
    const form = channel?.active ? channel.options?.form : undefined;
    return form?.enabled ? { ...form, code } : null;
  }

  private async channelByCode(code: string) {
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
      .where('ch.code = :code', { code })
      .getRawAndEntities();
    if (!channel || !channel.active) throw notFound(`接入渠道「${code}」不存在或已停用`);
    return { channel, companyVersion: Number(row.companyVersion) };
  }

  /** A push that carries no lead: archived once per message id (false: seen before). */
  private async archiveIgnored(channel: IntakeChannel, envelope: SpiEnvelope, rawBody: string): Promise<boolean> {
    try {
      await this.app.ds.getRepository(IntakeRecord).insert({
        companyId: channel.companyId,
        channelId: channel.id,
        externalId: null,
        messageId: envelope.messageId,
        leadId: null,
        outcome: 'ignored',
        reason: `未订阅的 service_label：${(envelope.serviceLabel ?? '（无）').slice(0, 120)}`,
        payload: rawBody,
        createdAt: this.app.clock.now(),
      });
      doneOutside(); // archived outside a transaction
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Map, normalise and create one lead from a payload; the platform's lead id (and delivery id) make it idempotent. */
  private async take(
    channel: IntakeChannel,
    companyVersion: number,
    payload: object,
    opts: { rawBody: string; requestId?: string; messageId?: string; mapping?: FieldMapping },
  ) {
    const mapped = applyMapping(payload, opts.mapping ?? channel.mapping);
    const norm = normaliseLead(mapped);
    if (!norm.ok) throw badRequest(norm.reason);
    const { externalId, channel: _ignored, ...fields } = norm.lead;
    void _ignored;
    if (externalId && externalId.length > 64) throw badRequest('平台线索ID过长（最多64个字符）');
    const body = parseInput(leadCreateSchema, { ...fields, channel: channel.tag });

    const actor = await this.companyActor(channel.companyId, companyVersion);
    const now = () => this.app.clock.now();
    const messageId = opts.messageId ?? null;
    try {
      const result = await this.leads.create(actor, body, opts.requestId, {
        before: async (em) => {
          const repo = em.getRepository(IntakeRecord);
          const seen =
            (messageId && (await repo.findOneBy({ channelId: channel.id, messageId }))) ||
            (externalId && (await repo.findOneBy({ channelId: channel.id, externalId })));
          if (seen) throw new AlreadyTaken(seen);
        },
        after: async (em, lead, _customer, created) => {
          await em.getRepository(IntakeRecord).insert({
            companyId: channel.companyId,
            channelId: channel.id,
            externalId: externalId ?? null,
            messageId,
            leadId: lead.id,
            outcome: created ? 'created' : 'merged',
            reason: null,
            payload: opts.rawBody,
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
    const mapping = input.mapping ?? DEFAULT_MAPPINGS[input.kind];
    checkMapping(mapping);
    if (input.kind === 'oceanengine' && !input.secret) throw badRequest('巨量引擎 SPI 渠道请填写订阅的签名密钥（secret）');
    if (input.kind !== 'oceanengine' && (input.secret || input.serviceLabels)) throw badRequest('只有巨量引擎 SPI 渠道可以填写签名密钥和 service_label');
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
        secret: input.secret ?? null,
        options: input.kind === 'oceanengine' ? { serviceLabels: input.serviceLabels ?? [] } : null,
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
      const { keyHash: _h, secret: _s, ...snapshot } = row;
      void _h;
      void _s;
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('intake_channel', row.id, snapshot);
      // The key is returned once; only its hash is kept.
      return { ...view(row), key: input.kind === 'api' ? key : undefined };
    });
  }

  async update(
    actor: Actor,
    id: number,
    patch: Partial<Pick<ChannelInput, 'name' | 'tag' | 'mapping' | 'secret' | 'serviceLabels'>> & { active?: boolean; rotateKey?: boolean; form?: FormOptions },
    requestId?: string,
  ) {
    this.requireAdmin(actor);
    if (patch.mapping) checkMapping(patch.mapping);
    return this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = await em.getRepository(IntakeChannel).findOneBy({ id, companyId: actor.companyId });
      if (!row) throw notFound(`接入渠道不存在（ID ${id}）`);
      if (row.kind !== 'oceanengine' && (patch.secret || patch.serviceLabels)) throw badRequest('只有巨量引擎 SPI 渠道可以填写签名密钥和 service_label');
      if (patch.form && row.kind !== 'api') throw badRequest('只有接口推送渠道可以开启网页表单');
      const options =
        patch.serviceLabels || patch.form
          ? { ...row.options, ...(patch.serviceLabels ? { serviceLabels: patch.serviceLabels } : {}), ...(patch.form ? { form: patch.form } : {}) }
          : undefined;
      const fields = { name: patch.name, tag: patch.tag, mapping: patch.mapping, active: patch.active, options };
      const changes = diffFields(row, fields);
      const key = patch.rotateKey && row.kind === 'api' ? newIntakeKey() : undefined;
      if (key) changes.push({ field: 'keyHash', before: '（旧密钥）', after: '（已更换）' });
      if (patch.secret && patch.secret !== row.secret) changes.push({ field: 'secret', before: '（旧密钥）', after: '（已更换）' });
      if (changes.length) {
        const update = {
          ...Object.fromEntries(changes.filter((c) => c.field !== 'keyHash' && c.field !== 'secret').map((c) => [c.field, c.after])),
          updatedAt: now,
          ...(key ? { keyHash: hashKey(key) } : {}),
          ...(patch.secret && patch.secret !== row.secret ? { secret: patch.secret } : {}),
        };
        await em.getRepository(IntakeChannel).update({ id }, update);
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('intake_channel', id, changes);
        Object.assign(row, update);
      }
      return { ...view(row), key, changed: changes.map((c) => c.field) };
    });
  }

  async formQr(actor: Actor, id: number) {
    this.requireAdmin(actor);
    const row = await this.app.ds.getRepository(IntakeChannel).findOneBy({ id, companyId: actor.companyId });
    if (!row) throw notFound(`接入渠道不存在（ID ${id}）`);
    if (!row.options?.form?.enabled) throw conflict('请先开启该渠道的网页表单');
    const url = `${this.app.config.publicUrl.replace(/\/$/, '')}/f/${row.code}`;
    return { url, png: await QRCode.toDataURL(url, { width: 480, margin: 2, errorCorrectionLevel: 'M' }) };
  }

  /** The archived payloads behind a lead (raw, as received). */
  async recordsFor(em: EntityManager, companyId: number, leadId: number) {
    const rows = await em.getRepository(IntakeRecord).find({ where: { companyId, leadId }, order: { createdAt: 'ASC', id: 'ASC' } });
    const channels = await em.getRepository(IntakeChannel).findBy({ companyId });
    return rows.map((r) => ({
      id: r.id,
      channel: channels.find((c) => c.id === r.channelId)?.name ?? null,
      externalId: r.externalId,
      outcome: r.outcome,
      receivedAt: r.createdAt,
      payload: jsonOrText(r.payload),
    }));
  }
}

/** What the public lead form sends (server/src/forms/client/form-client.ts). */
const FORM_MAPPING: FieldMapping = { phone: '$.phone', name: '$.name', grade: '$.grade', city: '$.city', concerns: '$.concerns', campaign: '$.campaign' };

const DEFAULT_MAPPINGS: Record<ChannelKind, FieldMapping> = { api: DEFAULT_MAPPING, douyin: DOUYIN_MAPPING, oceanengine: OCEANENGINE_MAPPING };

function checkMapping(mapping: FieldMapping) {
  const bad = invalidPaths(mapping);
  if (bad.length) throw badRequest(`字段映射的路径无效：${bad.join('、')}（示例：$.data.phone 或 $.fields[0].value）`);
  if (!mapping.phone) throw badRequest('字段映射必须包含手机号（phone）');
}

function view(c: IntakeChannel) {
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    tag: c.tag,
    kind: c.kind,
    mapping: c.mapping,
    ...(c.kind === 'oceanengine' ? { serviceLabels: c.options?.serviceLabels ?? [], hasSecret: !!c.secret } : {}),
    ...(c.kind === 'api' ? { form: c.options?.form ?? { enabled: false, title: '免费领取学习规划', allowedOrigins: [] }, formUrl: `/f/${c.code}` } : {}),
    active: c.active,
    url: c.kind === 'oceanengine' ? `/api/spi/oceanengine/${c.code}` : `/api/intake/${c.code}`,
    createdAt: c.createdAt,
  };
}
