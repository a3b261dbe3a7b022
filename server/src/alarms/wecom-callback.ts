import Router from '@koa/router';
import { XMLParser } from 'fast-xml-parser';
import type { AppContext } from '../context';
import { AppError } from '../http/errors';
import { User } from '../users/user.entity';
import { Alarm } from './alarm.entities';
import { handleTap } from './tap';
import { acceptOnce, readRawBody, replayReceipt, requireFresh, verifyAndDecrypt } from '../platforms/callback-crypto';

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true });

function parseXml(text: string): Record<string, string> {
  try {
    const doc = xml.parse(text) as { xml?: Record<string, string> };
    if (!doc?.xml || typeof doc.xml !== 'object') throw new Error('no <xml>');
    return doc.xml;
  } catch {
    throw new AppError(400, 'bad_xml', '回调内容不是有效的 XML');
  }
}

/**
 * WeCom "接收消息" callback: GET verifies the URL (echo the decrypted echostr), POST carries encrypted events.
 * Both must be signed within CALLBACK_MAX_AGE_SECONDS of now. A template_card_event is a tap on an alarm button;
 * retries (WeCom resends up to 3 times) and replays of the same signed request are handled once, and the reply is
 * an empty 200 well within WeCom's 5 s (card updates go through the outbox).
 */
export function wecomCallbackRoutes(app: AppContext): Router {
  const r = new Router();
  const cfg = () => {
    const c = app.config.wecom;
    if (!c?.callbackToken || !c.callbackAesKey) throw new AppError(404, 'not_found', '未配置企业微信回调');
    return { token: c.callbackToken, aesKey: c.callbackAesKey, corpId: c.corpId };
  };
  const q = (v: unknown) => (typeof v === 'string' ? v : '');

  r.get('/wecom/callback', (ctx) => {
    const c = cfg();
    const echo = verifyAndDecrypt(c.token, c.aesKey, c.corpId, q(ctx.query.msg_signature), q(ctx.query.timestamp), q(ctx.query.nonce), q(ctx.query.echostr));
    requireFresh(app, q(ctx.query.timestamp));
    ctx.type = 'text/plain';
    ctx.body = echo;
  });

  r.post('/wecom/callback', async (ctx) => {
    const c = cfg();
    const outer = parseXml(await readRawBody(ctx));
    const plain = verifyAndDecrypt(
      c.token,
      c.aesKey,
      c.corpId,
      q(ctx.query.msg_signature),
      q(ctx.query.timestamp),
      q(ctx.query.nonce),
      String(outer.Encrypt ?? ''),
    );
    requireFresh(app, q(ctx.query.timestamp));
    const replay = replayReceipt('wecom', q(ctx.query.msg_signature));
    const ev = parseXml(plain);
    const tap = ev.MsgType === 'event' && ev.Event === 'template_card_event';
    const [alarmTask, userPart] = String(ev.TaskId ?? '').split('u');
    const alarm = tap && alarmTask ? await app.ds.getRepository(Alarm).findOneBy({ taskId: alarmTask }) : null;
    const user = alarm ? await app.ds.getRepository(User).findOneBy({ companyId: alarm.companyId, wecomUserId: String(ev.FromUserName ?? '') }) : null;
    if (!tap) {
      // Contact and external-contact changes: recorded durably (idempotent on the request) before the receipt.
      await app.platformEvents.wecom(ev, { dedupeKey: `${replay.platform}:${replay.key}`, log: ctx.state.log });
      if (!(await acceptOnce(app, replay))) ctx.state.log?.info({ msgType: ev.MsgType }, 'wecom callback seen before: answered, not handled again');
    } else if (!alarm || !user || String(user.id) !== userPart) {
      ctx.state.log?.warn({ taskId: ev.TaskId }, 'wecom tap for an unknown card or user');
      if (!(await acceptOnce(app, replay))) ctx.state.log?.info({ msgType: ev.MsgType }, 'wecom callback seen before: answered, not handled again');
    } else {
      // The tap's receipts are written in its transaction: a tap the rules refuse leaves none behind.
      await handleTap(app, {
        companyId: alarm.companyId,
        userId: user.id,
        alarmId: alarm.id,
        key: String(ev.EventKey ?? ''),
        responseCode: ev.ResponseCode ? String(ev.ResponseCode) : null,
        dedupe: [{ platform: 'wecom', key: `${ev.FromUserName}:${ev.CreateTime}:${ev.TaskId}:${ev.EventKey}` }, replay],
        requestId: ctx.state.requestId,
      }).catch((err) => {
        // A tap the rules refuse (not their card, unknown key, user no longer entitled) is answered 200 so WeCom does not retry it.
        if (err instanceof AppError && err.status < 500) ctx.state.log?.warn({ err: err.message }, 'wecom tap refused');
        else throw err;
      });
    }
    ctx.status = 200;
    ctx.body = '';
  });
  return r;
}
