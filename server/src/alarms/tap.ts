import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import type { AppContext } from '../context';
import { Audit } from '../audit/audit.service';
import { forbidden, notFound } from '../http/errors';
import { User } from '../users/user.entity';
import { Script, ScriptPick } from '../scripts/script.entities';
import { Alarm, AlarmMessage, CallbackReceipt } from './alarm.entities';
import { alarmLinks } from './links';
import { queueMessage } from './queue-message';
import { isUniqueViolation } from '../db/tx';
import { Lead } from '../leads/lead.entity';
import { canSeeLead } from '../leads/lead-scope';
import { resolveScope, type Actor } from '../auth/actor';

export interface Tap {
  companyId: number;
  userId: number;
  /** The alarm card (or its task id on WeCom). */
  alarmId: number;
  /** s<scriptId> | done | ack */
  key: string;
  /** WeCom: the tap's single-use ResponseCode, used to update the tapper's own card. */
  responseCode?: string | null;
  /**
   * Platform receipts (WeCom: the event's FromUserName + CreateTime, and the request's signature), written in the
   * tap's transaction; a tap whose receipt exists already is a retry or replay and is handled once.
   */
  dedupe?: { platform: string; key: string }[];
  requestId?: string;
}

export interface TapResult {
  duplicate: boolean;
  handled: boolean;
  pick: { id: number; text: string; link: string; title: string } | null;
}

const hhmm = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(11, 16);

/**
 * One tap on an alarm button, whatever the channel (console, WeCom callback, DingTalk link): records the
 * script use, queues the full script text with a sidebar link to the rep, marks the alarm handled, and
 * queues an update of every recipient's copy of the card. All in one transaction; retries are no-ops.
 */
export async function handleTap(app: AppContext, t: Tap): Promise<TapResult> {
  const run = async (em: EntityManager): Promise<TapResult> => {
    const now = app.clock.now();
    for (const d of t.dedupe ?? []) await em.getRepository(CallbackReceipt).insert({ platform: d.platform, dedupeKey: d.key.slice(0, 160), receivedAt: now });
    const lockRead = app.tx.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const alarm = await em.getRepository(Alarm).findOne({ where: { id: t.alarmId, companyId: t.companyId }, ...lockRead });
    if (!alarm) throw notFound('提醒不存在');
    const mine = await em.getRepository(AlarmMessage).findOneBy({ alarmId: alarm.id, recipientId: t.userId, kind: 'card' });
    if (!mine) throw forbidden('这条提醒不是发给你的');
    const user = await em.getRepository(User).findOneByOrFail({ id: t.userId });
    await requireEntitled(em, user, alarm.leadId);
    const audit = new Audit(em, { companyId: t.companyId, actorId: t.userId, requestId: t.requestId, at: now });
    let pick: TapResult['pick'] = null;

    if (t.key.startsWith('s')) {
      const scriptId = Number(t.key.slice(1));
      const suggested = alarm.scripts.find((s) => s.scriptId === scriptId);
      if (!suggested || mine.payload.role !== 'rep') throw forbidden('这个话术不属于这条提醒');
      let row = await em.getRepository(ScriptPick).findOneBy({ companyId: t.companyId, alarmId: alarm.id, repId: t.userId, scriptId });
      if (!row) {
        row = em.getRepository(ScriptPick).create({
          companyId: t.companyId,
          alarmId: alarm.id,
          scriptId,
          leadId: alarm.leadId,
          repId: t.userId,
          text: suggested.text,
          pickedAt: now,
          sentAt: null,
          progressedAt: null,
        });
        await em.getRepository(ScriptPick).insert(row);
        await audit.created('script_pick', row.id, { alarmId: alarm.id, scriptId, leadId: alarm.leadId });
        const link = alarmLinks(app).sidebar(alarm.leadId, row.id);
        await queueMessage(em, now, {
          companyId: t.companyId,
          alarmId: alarm.id,
          recipientId: t.userId,
          kind: 'script',
          channel: mine.channel,
          payload: { leadName: alarm.card.leadName, text: suggested.text, link, pickId: row.id },
          dedupeKey: `script:${row.id}`,
        });
      }
      pick = { id: row.id, text: row.text, link: alarmLinks(app).sidebar(alarm.leadId, row.id), title: suggested.title };
    } else if (t.key !== 'done' && t.key !== 'ack') {
      throw forbidden('未知的按钮');
    }

    if (mine.state !== 'acted') {
      await em.getRepository(AlarmMessage).update(
        { id: mine.id },
        {
          state: 'acted',
          actedAt: now,
          updatedAt: now,
          payload: { ...mine.payload, tapResponseCode: t.responseCode ?? null, tapKey: t.key },
        },
      );
    }
    const handles = t.key !== 'ack';
    if (handles && alarm.handledAt === null) {
      // handledHow is varchar(64): a long title is cut, never the insert.
      const how = pick ? `使用话术「${pick.title}」`.slice(0, 64) : '已跟进';
      await em.getRepository(Alarm).update({ id: alarm.id }, { handledBy: t.userId, handledAt: now, handledHow: how });
      await audit.changed('alarm', alarm.id, [
        { field: 'handledBy', before: null, after: t.userId },
        { field: 'handledAt', before: null, after: now },
      ]);
      // Every recipient's copy on a platform shows who handled it and when.
      const copies = await em.getRepository(AlarmMessage).findBy({ alarmId: alarm.id, kind: 'card', state: In(['sent', 'acted']) });
      for (const c of copies) {
        if (c.channel === 'local' || c.recipientId < 0) continue;
        const code = c.id === mine.id ? (t.responseCode ?? c.platformRef) : c.platformRef;
        await queueMessage(em, now, {
          companyId: t.companyId,
          alarmId: alarm.id,
          recipientId: c.recipientId,
          kind: 'update',
          channel: c.channel,
          payload: { responseCode: code, replaceName: `${user.name}已处理 ${hhmm(now)}`, cardMessageId: c.id },
          dedupeKey: `update:${alarm.id}:${c.recipientId}`,
        });
      }
    }
    return { duplicate: false, handled: handles, pick };
  };
  try {
    return await app.tx.run(run);
  } catch (err) {
    // The same platform retry arriving twice: the first one did the work.
    if (t.dedupe?.length && isUniqueViolation(err)) return { duplicate: true, handled: false, pick: null };
    throw err;
  }
}

/**
 * Who may still act on an alarm: an active user who owns the lead, is the owner's manager, or has the lead in their
 * scope (a supervisor's org subtree, the company for ops). A card sent before a deactivation, a reassignment or the
 * lead's deletion records nothing.
 */
async function requireEntitled(em: EntityManager, user: User, leadId: number): Promise<void> {
  if (!user.active || user.deletedAt !== null) throw forbidden('你的账号已停用，不能再处理提醒；如有疑问请联系管理员');
  const lead = await em.getRepository(Lead).findOneBy({ id: leadId, companyId: user.companyId });
  if (!lead || lead.deletedAt !== null) throw forbidden('这条线索已被删除，提醒已无需处理');
  if (lead.ownerId === user.id) return;
  if (canSeeLead({ companyId: user.companyId, scope: await resolveScope(em, user) } as Actor, lead)) return;
  const owner = lead.ownerId ? await em.getRepository(User).findOneBy({ id: lead.ownerId }) : null;
  if (owner && owner.managerId === user.id) return;
  throw forbidden('这条线索已不归你负责，也不在你管理的范围内，提醒已无需你处理');
}

/** Counts a script as sent once (sidebar `sent`); progress is credited when the lead later advances. */
export async function countScriptSend(em: EntityManager, scriptId: number, now: number) {
  await em
    .createQueryBuilder()
    .update(Script)
    .set({ sendCount: () => 'sendCount + 1', updatedAt: now })
    .where({ id: scriptId })
    .execute();
}
