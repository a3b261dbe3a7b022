import { createHash } from 'node:crypto';
import type { AppContext } from '../context';
import { companyForCorp } from '../companies/by-corp';
import { insertRow } from '../db/rows';
import { isUniqueViolation } from '../db/errors';
import type { PlatformName } from '../platforms/platform-error';
import type { DingtalkEventBody, EventDelivery, WecomEventFields } from '../platforms/platform-events';
import { DirectoryEvent } from './directory.entities';

/** What one contact-change event names: users and departments to re-read. */
export interface EventTarget {
  kind: 'user' | 'dept';
  externalId: string;
  previousId: string | null;
}

const WECOM_USER = ['create_user', 'update_user', 'delete_user'];
const WECOM_DEPT = ['create_party', 'update_party', 'delete_party'];
export const DINGTALK_USER_EVENTS = ['user_add_org', 'user_modify_org', 'user_leave_org', 'user_active_org'];
export const DINGTALK_DEPT_EVENTS = ['org_dept_create', 'org_dept_modify', 'org_dept_remove'];

/** WeCom change_contact: member events carry UserID (and NewUserID when the id changed), party events Id. Tags are not ours. */
export function wecomTargets(ev: WecomEventFields): EventTarget[] {
  const type = String(ev.ChangeType ?? '').trim();
  if (WECOM_USER.includes(type) && ev.UserID) {
    const renamed = type === 'update_user' && ev.NewUserID && ev.NewUserID !== ev.UserID;
    return [{ kind: 'user', externalId: renamed ? String(ev.NewUserID) : String(ev.UserID), previousId: renamed ? String(ev.UserID) : null }];
  }
  if (WECOM_DEPT.includes(type) && ev.Id) return [{ kind: 'dept', externalId: String(ev.Id), previousId: null }];
  return [];
}

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === null || v === '' ? [] : [String(v)]);

/** DingTalk contact events, in both casings (new subscription userId/deptId, legacy UserId/DeptId). */
export function dingtalkTargets(ev: DingtalkEventBody): EventTarget[] {
  const type = String(ev.EventType ?? '');
  if (DINGTALK_USER_EVENTS.includes(type)) return ids(ev.userId ?? ev.UserId).map((id) => ({ kind: 'user' as const, externalId: id, previousId: null }));
  if (DINGTALK_DEPT_EVENTS.includes(type)) return ids(ev.deptId ?? ev.DeptId).map((id) => ({ kind: 'dept' as const, externalId: id, previousId: null }));
  return [];
}

function keyOf(delivery: EventDelivery, t: EventTarget): string {
  const key = `${delivery.dedupeKey}#${t.kind}:${t.externalId}`;
  return key.length <= 191 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * Records an event durably, one row per user or department it names, and returns: the worker re-reads and applies
 * (the callback must answer within 5 s). A delivery seen before (same dedupeKey) is ignored: the unique key says so.
 * An event of a corp bound to no company is dropped (logged).
 */
export async function recordEvent(
  app: AppContext,
  platform: PlatformName,
  corpId: string,
  eventType: string,
  targets: EventTarget[],
  delivery: EventDelivery,
): Promise<number> {
  if (!targets.length) return 0;
  const company = await companyForCorp(app.ds.manager, platform, corpId);
  if (!company) {
    delivery.log?.warn({ platform, corpId, eventType }, 'directory event for a corp bound to no company: dropped');
    return 0;
  }
  const now = app.clock.now();
  let recorded = 0;
  for (const t of targets) {
    try {
      await app.tx.run((em) =>
        insertRow(
          em,
          DirectoryEvent,
          Object.assign(new DirectoryEvent(), {
            companyId: company.id,
            platform,
            dedupeKey: keyOf(delivery, t),
            eventType: eventType.slice(0, 32),
            kind: t.kind,
            externalId: t.externalId.slice(0, 64),
            previousId: t.previousId?.slice(0, 64) ?? null,
            state: 'pending' as const,
            attempts: 0,
            notBefore: now,
            leaseOwner: null,
            leaseUntil: null,
            outcome: null,
            receivedAt: now,
            processedAt: null,
          }),
        ),
      );
      recorded++;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      delivery.log?.info({ platform, eventType }, 'directory event seen before: ignored');
    }
  }
  return recorded;
}

/** Registers the contact-change handlers on the platform callbacks; `recorded` is told when new rows are waiting. */
export function registerDirectoryEvents(app: AppContext, recorded: () => void): void {
  app.platformEvents.onWecom('change_contact', async (ev, delivery) => {
    const n = await recordEvent(app, 'wecom', String(ev.ToUserName ?? ''), String(ev.ChangeType ?? '').trim(), wecomTargets(ev), delivery);
    if (n) recorded();
  });
  for (const type of [...DINGTALK_USER_EVENTS, ...DINGTALK_DEPT_EVENTS]) {
    app.platformEvents.onDingtalk(type, async (ev, delivery) => {
      const n = await recordEvent(app, 'dingtalk', String(ev.CorpId ?? ev.corpId ?? ''), type, dingtalkTargets(ev), delivery);
      if (n) recorded();
    });
  }
}
