import Router from '@koa/router';
import type { AppContext } from '../context';
import { AppError } from '../http/errors';
import { User } from '../users/user.entity';
import { readRawBody } from '../platforms/callback-crypto';
import { cardsEnabled, parseOutTrackId } from '../platforms/dingtalk/cards';
import { AlarmMessage } from './alarm.entities';
import { handleTap } from './tap';
import { DEFAULT_TAP_LINK_TTL_MS } from './links';

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
      throw new AppError(
        403,
        'card_expired',
        `这张提醒卡片已超过 ${Math.round(ttlMs / 3600_000)} 小时，按钮已失效，未做任何记录；请在 Lifeline 中打开这条线索处理`,
      );
    }
    const key = actionKey(body);
    if (!key) throw new AppError(400, 'bad_event', '回调缺少按钮');
    // DingTalk retries a callback it got no answer to: the same copy and button count once (receipt written in the
    // tap's transaction, so a refused tap leaves none). The card callback carries no signature of its own that we
    // could verify (none documented, see above).
    const res = await handleTap(app, {
      companyId: msg.companyId,
      userId: msg.recipientId,
      alarmId: msg.alarmId,
      key,
      requestId: ctx.state.requestId,
      dedupe: [{ platform: 'dingtalk.card', key: `${messageId}:${key}` }],
    });
    ctx.state.log?.info({ messageId, key, handled: res.handled, duplicate: res.duplicate }, 'dingtalk card tap');
    ctx.body = {};
  });
  return r;
}
