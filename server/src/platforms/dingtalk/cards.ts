import { createHmac, timingSafeEqual } from 'node:crypto';
import { AlreadyDelivered, DeliveryError, type Outgoing } from '../../channels/port';
import { platformDeliveryError } from '../wecom/messages';
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
function cardOutTrackId(secret: string, messageId: number): string {
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
function cardParams(out: Extract<Outgoing, { kind: 'card' }>): Record<string, string> {
  const c = out.card;
  const scripts = out.buttons.filter((b) => b.key.startsWith('s')).slice(0, 3);
  const last = out.buttons.filter((b) => !b.key.startsWith('s')).slice(0, 1);
  const buttons = [...scripts, ...last];
  const params: Record<string, string> = {
    title: out.title.slice(0, 64),
    leadName: c.leadName,
    phone: c.maskedPhone,
    channel: c.channel,
    age: c.age,
    rule: c.ruleLabel,
    repName: c.repName ?? '',
    nextStep: c.nextStepAction ?? '',
    openUrl: out.openUrl,
    handled: '',
    buttonCount: String(buttons.length),
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
    private readonly api: DingtalkApi,
    private readonly config: DingtalkConfig & { cardTemplateId: string; robotCode: string },
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {}

  private get routeKey() {
    return this.config.cardRouteKey || DEFAULT_ROUTE_KEY;
  }

  /** Registers our callback URL under the route key once per process (before the first card goes out). */
  private ensureRegistered(): Promise<void> {
    this.registered ??= this.api
      .v1('POST', '/v1.0/card/callbacks/register', {
        callbackRouteKey: this.routeKey,
        callbackUrl: `${this.publicUrl.replace(/\/$/, '')}/dingtalk/card-callback`,
        apiSecret: createHmac('sha256', this.secret).update('dingtalk-card-callback-secret').digest('hex').slice(0, 32),
        forceUpdate: true,
      })
      .then(
        () => undefined,
        (err) => {
          this.registered = null;
          throw err;
        },
      );
    return this.registered;
  }

  async deliver(userId: string, out: Extract<Outgoing, { kind: 'card' }>): Promise<{ ref: string }> {
    if (!out.messageId) throw new DeliveryError('卡片缺少消息编号', false);
    const outTrackId = cardOutTrackId(this.secret, out.messageId);
    try {
      await this.ensureRegistered();
      const r = await this.api.v1<{ result?: { deliverResults?: { success?: boolean; errorMsg?: string }[] } }>(
        'POST',
        '/v1.0/card/instances/createAndDeliver',
        {
          cardTemplateId: this.config.cardTemplateId,
          outTrackId,
          callbackType: 'HTTP',
          callbackRouteKey: this.routeKey,
          cardData: { cardParamMap: cardParams(out) },
          openSpaceId: `dtv1.card//IM_ROBOT.${userId}`,
          imRobotOpenSpaceModel: { supportForward: false },
          imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: this.config.robotCode },
        },
      );
      const failed = r.result?.deliverResults?.find((d) => d.success === false);
      if (failed) throw new DeliveryError(`钉钉卡片投递失败：${failed.errorMsg ?? ''}`.slice(0, 250), false);
      return { ref: outTrackId };
    } catch (err) {
      if (
        err instanceof DingtalkError &&
        /outTrackId/i.test(`${err.code} ${err.detail}`) &&
        /exist|duplicat|already|重复|已存在/i.test(`${err.code} ${err.detail}`)
      ) {
        // Deterministic id: an earlier attempt whose reply was lost got through. Count it as delivered once.
        throw new AlreadyDelivered(outTrackId);
      }
      throw classify(err);
    }
  }

  async update(outTrackId: string, handled: string): Promise<{ ref: null }> {
    try {
      await this.api.v1('PUT', '/v1.0/card/instances', {
        outTrackId,
        cardData: { cardParamMap: { handled } },
        cardUpdateOptions: { updateCardDataByKey: true },
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
