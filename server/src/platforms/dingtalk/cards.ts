import Router from '@koa/router';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../../context';
import { AppError } from '../../http/errors';
import { AlarmMessage } from '../../alarms/alarm.entities';
import { DeliveryError, type Outgoing } from '../../alarms/channel';
import { handleTap } from '../../alarms/tap';
import { DEFAULT_TAP_LINK_TTL_MS } from '../../alarms/links';
import { User } from '../../users/user.entity';
import { AlreadyDelivered, platformDeliveryError } from '../wecom/messages';
import { readRawBody } from '../callback-crypto';
import { DingtalkError, type DingtalkApi, type DingtalkConfig } from './dingtalk-api';

/**
 * DingTalk interactive alarm cards (互动卡片, `card/instances`): each recipient's copy is delivered into the
 * robot's one-to-one chat with `createAndDeliver`, its buttons call back `POST /dingtalk/card-callback` over
 * HTTP, and after a tap every copy is updated in place with `PUT /v1.0/card/instances`.
 *
 * Used when DINGTALK_CARD_TEMPLATE_ID and DINGTALK_ROBOT_CODE are both set; otherwise alarms stay work notices.
 */

const PREFIX = 'lfc';
const DEFAULT_ROUTE_KEY = 'lifeline-alarms';

export function cardsEnabled(c: DingtalkConfig | null | undefined): c is DingtalkConfig & { cardTemplateId: string; robotCode: string } {
  return !!c?.cardTemplateId && !!c.robotCode;
}

function mac(secret: string, messageId: number): string {
  return createHmac('sha256', secret).update(`dingtalk-card:${messageId}`).digest('base64url').slice(0, 24).replace(/[-_]/g, 'x');
}

/**
 * The copy's outTrackId: deterministic per outbox row (a retry after a crash reuses it, so the platform refuses a
 * second delivery) and signed (only DingTalk and the card itself know it, so a callback cannot be forged for
 * another copy by guessing ids).
 */
export function cardOutTrackId(secret: string, messageId: number): string {
  return `${PREFIX}${messageId}_${mac(secret, messageId)}`;
}

/** The outbox row id behind an outTrackId we issued, or null for anything else. */
export function parseOutTrackId(secret: string, outTrackId: unknown): number | null {
  if (typeof outTrackId !== 'string' || outTrackId.length > 64) return null;
  const m = /^lfc(\d{1,10})_([A-Za-z0-9]{24})$/.exec(outTrackId);
  if (!m) return null;
  const id = Number(m[1]);
  const want = Buffer.from(mac(secret, id));
  const got = Buffer.from(m[2]);
  return id > 0 && want.length === got.length && timingSafeEqual(want, got) ? id : null;
}

export const isCardOutTrackId = (ref: string | null | undefined): ref is string => !!ref && /^lfc\d+_/.test(ref);

/** The card template's variables (all strings, as cardParamMap requires). */
export function cardParams(out: Extract<Outgoing, { kind: 'card' }>): Record<string, string> {
  const c = out.card;
  const scripts = out.buttons.filter((b) => b.key.startsWith('s')).slice(0, 3);
  const last = out.buttons.filter((b) => !b.key.startsWith('s')).slice(0, 1);
  const buttons = [...scripts, ...last];
  const params: Record<string, string> = {
    title: out.title.slice(0, 64), leadName: c.leadName, phone: c.maskedPhone, channel: c.channel, age: c.age, rule: c.ruleLabel,
    repName: c.repName ?? '', nextStep: c.nextStepAction ?? '', openUrl: out.openUrl, handled: '', buttonCount: String(buttons.length),
  };
  buttons.forEach((b, i) => {
    params[`button${i + 1}Text`] = b.text.slice(0, 20);
    params[`button${i + 1}Key`] = b.key;
  });
  out.scripts.slice(0, 3).forEach((s, i) => (params[`script${i + 1}`] = s.text));
  return params;
}

export class DingtalkCards {
  private registered: Promise<void> | null = null;

  constructor(
    private readonly api: DingtalkApi, private readonly config: DingtalkConfig & { cardTemplateId: string; robotCode: string },
    private readonly secret: string, private readonly publicUrl: string,
  ) {}

  private get routeKey() {
    return this.config.cardRouteKey || DEFAULT_ROUTE_KEY;
  }

  /** Registers our callback URL under the route key once per process (before the first card goes out). */
  private ensureRegistered(): Promise<void> {
    this.registered ??= this.api.v1('POST', '/v1.0/card/callbacks/register', {
      callbackRouteKey: this.routeKey, callbackUrl: `${this.publicUrl.replace(/\/$/, '')}/dingtalk/card-callback`,
      apiSecret: createHmac('sha256', this.secret).update('dingtalk-card-callback-secret').digest('hex').slice(0, 32), forceUpdate: true,
    }).then(() => undefined, (err) => {
      this.registered = null;
      throw err;
    });
    return this.registered;
  }

  async deliver(userId: string, out: Extract<Outgoing, { kind: 'card' }>): Promise<{ ref: string }> {
    if (!out.messageId) throw new DeliveryError('卡片缺少消息编号', false);
    const outTrackId = cardOutTrackId(this.secret, out.messageId);
    try {
      await this.ensureRegistered();
      const r = await this.api.v1<{ result?: { deliverResults?: { success?: boolean; errorMsg?: string }[] } }>('POST', '/v1.0/card/instances/createAndDeliver', {
        cardTemplateId: this.config.cardTemplateId, outTrackId, callbackType: 'HTTP', callbackRouteKey: this.routeKey,
        cardData: { cardParamMap: cardParams(out) },
        openSpaceId: `dtv1.card//IM_ROBOT.${userId}`,
        imRobotOpenSpaceModel: { supportForward: false },
        imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: this.config.robotCode },
      });
      const failed = r.result?.deliverResults?.find((d) => d.success === false);
      if (failed) throw new DeliveryError(`钉钉卡片投递失败：${failed.errorMsg ?? ''}`.slice(0, 250), false);
      return { ref: outTrackId };
    } catch (err) {
      if (err instanceof DingtalkError && /outTrackId/i.test(`${err.code} ${err.detail}`) && /exist|duplicat|already|重复|已存在/i.test(`${err.code} ${err.detail}`)) {
        // Deterministic id: an earlier attempt whose reply was lost got through. Count it as delivered once.
        throw new AlreadyDelivered(outTrackId);
      }
      throw classify(err);
    }
  }

  async update(outTrackId: string, handled: string): Promise<{ ref: null }> {
    try {
      await this.api.v1('PUT', '/v1.0/card/instances', {
        outTrackId, cardData: { cardParamMap: { handled } }, cardUpdateOptions: { updateCardDataByKey: true },
      });
      return { ref: null };
    } catch (err) {
      throw classify(err);
    }
  }
}

function classify(err: unknown): Error {
  if (err instanceof DeliveryError || err instanceof AlreadyDelivered) return err;
  if (err instanceof DingtalkError) {
    const retry = err.transport || (err.status ?? 0) >= 500 || err.status === 429 || /throttl|qpslimit|busy|ServiceUnavailable/i.test(err.code);
    return new DeliveryError(`DingTalk ${err.code}: ${err.detail}`.slice(0, 250), retry);
  }
  return platformDeliveryError(err);
}

/** The tapped button's key: `cardPrivateData.params.key` (the template's callback parameter), else the action id. */
function actionKey(body: Record<string, unknown>): string | null {
  for (const field of ['content', 'value']) {
    let v = body[field];
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        continue;
      }
    }
    const priv = (v as { cardPrivateData?: { params?: Record<string, unknown>; actionIds?: unknown[] } } | null)?.cardPrivateData;
    if (!priv) continue;
    if (typeof priv.params?.key === 'string') return priv.params.key;
    if (Array.isArray(priv.actionIds) && typeof priv.actionIds[0] === 'string') return priv.actionIds[0];
  }
  return null;
}

/**
 * `POST /dingtalk/card-callback`: a button on an alarm card. Accepted only for an outTrackId we issued (signed, see
 * cardOutTrackId) whose copy was delivered as an interactive card, tapped by that copy's recipient (and, with
 * DINGTALK_CORP_ID set, from our organisation), within ALARM_TAP_LINK_TTL_HOURS of the card being queued; the tap
 * then goes through the same handling as every channel, once per copy and button.
 *
 * corpId and userId come from the body: DingTalk's HTTP card callback has no documented signature (the `apiSecret`
 * given at registration is not documented as signing requests; /work/shared/reference/platform.md §5 lists only
 * the register call), so there is nothing more to verify here. The secret is the outTrackId, hence the expiry.
 */
export function dingtalkCardCallbackRoutes(app: AppContext): Router {
  const r = new Router();
  r.post('/dingtalk/card-callback', async (ctx) => {
    const c = app.config.dingtalk;
    if (!cardsEnabled(c)) throw new AppError(404, 'not_found', '未配置钉钉互动卡片');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readRawBody(ctx));
    } catch {
      throw new AppError(400, 'bad_json', '回调内容不是有效的 JSON');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new AppError(400, 'bad_event', '回调内容格式错误');
    const messageId = parseOutTrackId(app.config.sessionSecret, body.outTrackId);
    if (messageId === null) throw new AppError(404, 'not_found', '卡片不存在');
    const msg = await app.ds.getRepository(AlarmMessage).findOneBy({ id: messageId });
    if (!msg || msg.kind !== 'card' || msg.channel !== 'dingtalk' || !msg.alarmId || msg.platformRef !== body.outTrackId) {
      throw new AppError(404, 'not_found', '卡片不存在');
    }
    // With DINGTALK_CORP_ID set, the callback must name our organisation: missing or not a string is refused too.
    if (c.corpId && body.corpId !== c.corpId) throw new AppError(403, 'forbidden', '不是本企业的卡片回调');
    const user = await app.ds.getRepository(User).findOneBy({ id: msg.recipientId });
    if (!user?.dingtalkUserId || typeof body.userId !== 'string' || body.userId !== user.dingtalkUserId) {
      ctx.state.log?.warn({ messageId }, 'dingtalk card callback from someone other than the recipient');
      throw new AppError(403, 'forbidden', '这张卡片不是发给你的');
    }
    // The outTrackId never expires by itself: a card is tappable only as long as a signed tap link would be
    // (ALARM_TAP_LINK_TTL_HOURS after its outbox row was created), so an id seen once cannot be replayed for ever.
    const ttlMs = app.config.tapLinkTtlMs ?? DEFAULT_TAP_LINK_TTL_MS;
    if (app.clock.now() - msg.createdAt > ttlMs) {
      ctx.state.log?.info({ messageId }, 'dingtalk card tap after the card expired: refused');
      throw new AppError(403, 'card_expired', `这张提醒卡片已超过 ${Math.round(ttlMs / 3600_000)} 小时，按钮已失效，未做任何记录；请在 Lifeline 中打开这条线索处理`);
    }
    const key = actionKey(body);
    if (!key) throw new AppError(400, 'bad_event', '回调缺少按钮');
    // DingTalk retries a callback it got no answer to: the same copy and button count once (receipt written in the
    // tap's transaction, so a refused tap leaves none). The card callback carries no signature of its own that we
    // could verify (none documented, see above).
    const res = await handleTap(app, {
      companyId: msg.companyId, userId: msg.recipientId, alarmId: msg.alarmId, key, requestId: ctx.state.requestId,
      dedupe: [{ platform: 'dingtalk.card', key: `${messageId}:${key}` }],
    });
    ctx.state.log?.info({ messageId, key, handled: res.handled, duplicate: res.duplicate }, 'dingtalk card tap');
    ctx.body = {};
  });
  return r;
}
