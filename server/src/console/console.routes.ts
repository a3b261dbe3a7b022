import Router from '@koa/router';
import { In } from 'typeorm';
import type { AppContext } from '../context';
import { AppError, badRequest } from '../http/errors';
import { User } from '../users/user.entity';
import { Alarm, AlarmMessage } from '../alarms/alarm.entities';
import { handleTap } from '../alarms/tap';
import { tapSignatureOk } from '../alarms/links';
import { readRawBody } from '../platforms/callback-crypto';
import { renderConsole, renderTapRefused, renderTapResult } from './console.html';

/**
 * The local channel's screen (demo mode): each person's alarm messages with the same buttons the WeCom
 * card has; a tap goes through the same handling as a platform callback. Also the signed tap links used by
 * DingTalk buttons (work in any mode: the signature is the credential).
 */
export function consoleRoutes(app: AppContext): Router {
  const r = new Router();

  if (app.config.demo) {
    r.get('/console/', async (ctx) => {
      const users = await app.ds.getRepository(User).find({ where: { active: true }, order: { id: 'ASC' } });
      const userId = userParam(ctx.query.user) ?? (await firstRecipient(app)) ?? users[0]?.id ?? 0;
      const msgs = await app.ds.getRepository(AlarmMessage).find({ where: { recipientId: userId }, order: { id: 'DESC' }, take: 100 });
      const alarmIds = [...new Set(msgs.map((m) => m.alarmId).filter((x): x is number => x !== null))];
      const alarms = alarmIds.length ? await app.ds.getRepository(Alarm).findBy({ id: In(alarmIds) }) : [];
      const counts: { recipientId: number; n: number }[] = await app.ds.query(
        `SELECT recipientId, COUNT(*) AS n FROM alarm_message WHERE kind IN ('card','digest','script') AND state <> 'merged' GROUP BY recipientId`,
      );
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = renderConsole({
        users,
        userId,
        msgs,
        alarms: new Map(alarms.map((a) => [a.id, a])),
        counts: new Map(counts.map((c) => [Number(c.recipientId), Number(c.n)])),
        now: app.clock.now(),
      });
    });
    r.post('/console/tap', async (ctx) => {
      const form = new URLSearchParams(await readRawBody(ctx, 4096));
      const messageId = Number(form.get('m'));
      const key = form.get('k') ?? '';
      const msg = Number.isInteger(messageId) && messageId > 0 ? await app.ds.getRepository(AlarmMessage).findOneBy({ id: messageId }) : null;
      if (!msg || msg.kind !== 'card' || !msg.alarmId) throw new AppError(404, 'not_found', '消息不存在');
      await handleTap(app, { companyId: msg.companyId, userId: msg.recipientId, alarmId: msg.alarmId, key, requestId: ctx.state.requestId });
      ctx.status = 303;
      ctx.redirect(`/console/?user=${msg.recipientId}`);
    });
  }

  r.get('/alarms/tap', async (ctx) => {
    // Opened in the platform's browser: a refusal is a page saying why (with its status), not JSON.
    try {
      const messageId = Number(ctx.query.m);
      const key = String(ctx.query.k ?? '');
      const expiresParam = String(ctx.query.e ?? '');
      // A link without its signed expiry (forged, or issued before links expired) is refused like a forged one.
      const expires = /^\d{1,12}$/.test(expiresParam) ? Number(expiresParam) : NaN;
      if (
        !Number.isInteger(messageId) ||
        messageId <= 0 ||
        !Number.isInteger(expires) ||
        !tapSignatureOk(app, messageId, key, expires, String(ctx.query.sig ?? ''))
      ) {
        throw new AppError(403, 'bad_link', '链接无效、已被篡改或已失效，请在侧边栏中处理这条线索');
      }
      if (expires * 1000 < app.clock.now()) throw new AppError(410, 'link_expired', '链接已过期，请在侧边栏中处理这条线索');
      const msg = await app.ds.getRepository(AlarmMessage).findOneBy({ id: messageId });
      if (!msg || msg.kind !== 'card' || !msg.alarmId) throw new AppError(404, 'not_found', '消息不存在');
      const res = await handleTap(app, { companyId: msg.companyId, userId: msg.recipientId, alarmId: msg.alarmId, key, requestId: ctx.state.requestId });
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = renderTapResult(res.pick);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      ctx.status = err.status;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = renderTapRefused(err.message);
    }
  });
  return r;
}

/** `?user=` as a user id; absent = the default screen; anything else (Infinity, -1, abc) is a 400. */
function userParam(v: unknown): number | null {
  if (v === undefined || v === '') return null;
  if (typeof v !== 'string' || !/^[1-9]\d{0,9}$/.test(v) || Number(v) > 2_147_483_647) throw badRequest('用户编号必须是正整数，例如 /console/?user=3');
  return Number(v);
}

async function firstRecipient(app: AppContext): Promise<number | null> {
  const [row] = await app.ds.query(`SELECT recipientId FROM alarm_message ORDER BY id DESC LIMIT 1`);
  return row ? Number(row.recipientId) : null;
}
