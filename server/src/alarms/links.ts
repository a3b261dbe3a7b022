import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../context';

/** Links put in messages: the sidebar deep link (contract with the sidebar) and the console. */
export function alarmLinks(app: AppContext) {
  const base = app.config.publicUrl.replace(/\/$/, '');
  return {
    sidebar: (leadId: number, pickId?: number) => `${base}/sidebar/#/pages/index/index?leadId=${leadId}${pickId ? `&pick=${pickId}` : ''}`,
    console: (userId: number) => `${base}/console/?user=${userId}`,
    /** 我的待办 narrowed to a digest's leads (GET /api/todo takes at most 100 ids). */
    todo: (leadIds: number[]) => `${base}/sidebar/#/pages/todo/index?leadIds=${[...new Set(leadIds)].slice(0, 100).join(',')}`,
    /** 设置 → 数据安全, with the undo preview filled in for one person's deletes since a time (a delete-spike alarm). */
    safety: (actorId: number, since: number) => `${base}/sidebar/#/pages/settings/index?section=safety&actorId=${actorId}&since=${since}`,
    /** 设置 → 系统对接 (a webhook paused after repeated failures). */
    integrations: () => `${base}/sidebar/#/pages/settings/index?section=integrations`,
    /**
     * A tap as a link (DingTalk buttons are links): signed with its expiry (`e`, unix seconds, ALARM_TAP_LINK_TTL_HOURS
     * after it is made), so it cannot be forged for another message or key, nor made to live longer.
     */
    tap: (messageId: number, key: string) => {
      const expires = Math.floor((app.clock.now() + (app.config.tapLinkTtlMs ?? DEFAULT_TAP_LINK_TTL_MS)) / 1000);
      return `${base}/alarms/tap?m=${messageId}&k=${encodeURIComponent(key)}&e=${expires}&sig=${tapSignature(app, messageId, key, expires)}`;
    },
  };
}

export const DEFAULT_TAP_LINK_TTL_MS = 24 * 3600_000;

function tapSignature(app: AppContext, messageId: number, key: string, expires: number): string {
  return createHmac('sha256', app.config.sessionSecret).update(`alarm-tap:${messageId}:${key}:${expires}`).digest('base64url').slice(0, 32);
}

export function tapSignatureOk(app: AppContext, messageId: number, key: string, expires: number, sig: string): boolean {
  const want = Buffer.from(tapSignature(app, messageId, key, expires));
  const got = Buffer.from(String(sig));
  return want.length === got.length && timingSafeEqual(want, got);
}
