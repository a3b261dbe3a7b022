import Taro from '@tarojs/taro';
import { api, ApiError } from './api';

/** A follow-up waiting to reach the server. Its key is the Idempotency-Key, so resending never duplicates it. */
export interface PendingFollowup {
  key: string;
  body: Record<string, unknown>;
  /** what the rep sees in the pending list, e.g. 王妈妈 · 已电话沟通 */
  label: string;
  createdAt: number;
  tries: number;
  lastError?: string;
  /**
   * The server refused it when it was resent (e.g. its next step had passed by the time the network came back).
   * It stays on the device, is not resent automatically, and waits for the rep: a new time, or an explicit 放弃.
   */
  refused?: { message: string; field?: string };
}

const KEY = 'lifeline.outbox';

export function pending(): PendingFollowup[] {
  try {
    const v = Taro.getStorageSync(KEY);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function save(list: PendingFollowup[]): void {
  Taro.setStorageSync(KEY, list);
}

export function newRequestId(): string {
  const rnd = Math.random().toString(36).slice(2, 10);
  return `sb-${Date.now().toString(36)}-${rnd}`;
}

export type SendResult = { ok: true; followup: any } | { ok: false; offline: boolean; message: string };

/** Kept on the device first, then sent: if the app dies or the network drops mid-request, the entry survives. */
export async function submit(entry: Omit<PendingFollowup, 'tries' | 'createdAt'>): Promise<SendResult> {
  const list = pending().filter((p) => p.key !== entry.key);
  list.push({ ...entry, tries: 0, createdAt: Date.now() });
  save(list);
  return send(entry.key, 'drop-refused');
}

/**
 * `drop-refused`: the rep is looking at the filled form, which keeps the text, so a refused entry leaves the device
 * queue. `keep-refused`: a background resend; the form is long gone, so the entry stays, marked refused.
 */
async function send(key: string, onRefused: 'drop-refused' | 'keep-refused'): Promise<SendResult> {
  const item = pending().find((p) => p.key === key);
  if (!item) return { ok: false, offline: false, message: '记录不存在' };
  try {
    const followup = await api('POST', '/api/followups', item.body, { 'Idempotency-Key': item.key });
    save(pending().filter((p) => p.key !== key));
    return { ok: true, followup };
  } catch (err) {
    const e = err as ApiError;
    if (e.offline) {
      save(pending().map((p) => (p.key === key ? { ...p, tries: p.tries + 1, lastError: e.message } : p)));
      return { ok: false, offline: true, message: e.message };
    }
    // The server refused it (bad input, no permission): resending as is cannot help, so it goes back to the rep.
    if (onRefused === 'drop-refused') save(pending().filter((p) => p.key !== key));
    else save(pending().map((p) => (p.key === key ? { ...p, refused: { message: e.message, field: e.details?.field } } : p)));
    return { ok: false, offline: false, message: e.message };
  }
}

/** Entries still waiting for the network (refused ones wait for the rep instead). */
export function waiting(): PendingFollowup[] {
  return pending().filter((p) => !p.refused);
}

/** Entries the server refused on a resend, kept with what the rep typed. */
export function refused(): PendingFollowup[] {
  return pending().filter((p) => p.refused);
}

/** A refused entry with a new next-step time (ISO), sent again under the same idempotency key. */
export async function resendWithNextStep(key: string, iso: string): Promise<SendResult> {
  save(
    pending().map((p) => {
      if (p.key !== key) return p;
      const step = (p.body.nextStep as { at: string; action: string } | undefined) ?? { at: iso, action: '再次跟进' };
      return { ...p, body: { ...p.body, nextStep: { ...step, at: iso } }, refused: undefined };
    }),
  );
  return send(key, 'keep-refused');
}

/** The rep chose to drop a refused entry (the only way an entry leaves the device unsent). */
export function discard(key: string): void {
  save(pending().filter((p) => p.key !== key));
}

/** Resend everything pending; returns how many got through. */
export async function flush(): Promise<{ sent: number; failed: string[] }> {
  let sent = 0;
  const failed: string[] = [];
  for (const p of waiting()) {
    const r = await send(p.key, 'keep-refused');
    if (r.ok) sent++;
    else if (!r.offline) failed.push(`${p.label}：${r.message}`);
  }
  return { sent, failed };
}
