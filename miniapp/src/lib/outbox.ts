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
  return send(entry.key);
}

async function send(key: string): Promise<SendResult> {
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
    // The server refused it (bad input, no permission): resending cannot help, so hand it back to the rep.
    save(pending().filter((p) => p.key !== key));
    return { ok: false, offline: false, message: e.message };
  }
}

/** Resend everything pending; returns how many got through. */
export async function flush(): Promise<{ sent: number; failed: string[] }> {
  let sent = 0;
  const failed: string[] = [];
  for (const p of pending()) {
    const r = await send(p.key);
    if (r.ok) sent++;
    else if (!r.offline) failed.push(`${p.label}：${r.message}`);
  }
  return { sent, failed };
}
