import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../context';

/** Links put in messages: the sidebar deep link (contract with the sidebar) and the console. */
export function alarmLinks(app: AppContext) {
  const base = app.config.publicUrl.replace(/\/$/, '');
  return {
    sidebar: (leadId: number, pickId?: number) => `${base}/sidebar/#/pages/index/index?leadId=${leadId}${pickId ? `&pick=${pickId}` : ''}`,
    console: (userId: number) => `${base}/console/?user=${userId}`,
    /** A tap as a link (DingTalk buttons are links): signed, so it cannot be forged for another message or key. */
    tap: (messageId: number, key: string) => `${base}/alarms/tap?m=${messageId}&k=${encodeURIComponent(key)}&sig=${tapSignature(app, messageId, key)}`,
  };
}

export function tapSignature(app: AppContext, messageId: number, key: string): string {
  return createHmac('sha256', app.config.sessionSecret).update(`alarm-tap:${messageId}:${key}`).digest('base64url').slice(0, 32);
}

export function tapSignatureOk(app: AppContext, messageId: number, key: string, sig: string): boolean {
  const want = Buffer.from(tapSignature(app, messageId, key));
  const got = Buffer.from(String(sig));
  return want.length === got.length && timingSafeEqual(want, got);
}
