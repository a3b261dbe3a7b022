import { doneOutside } from '../db/tx';
export type PlatformName = 'wecom' | 'dingtalk';

const LABELS: Record<PlatformName, string> = { wecom: '企业微信', dingtalk: '钉钉' };

/**
 * WeCom or DingTalk gave an answer we cannot use: not JSON, an HTTP error, an errcode the caller does not handle,
 * a field missing, or no answer at all (network failure, timeout). Raised by the platform adapters only; callers
 * turn the codes they understand into a 4xx, and whatever reaches the error handler is answered 502 (middleware.ts).
 * `transport` = the platform was not reached or answered no valid JSON (worth retrying later).
 */
export class PlatformError extends Error {
  constructor(
    readonly platform: PlatformName,
    readonly problem: string,
    readonly transport = false,
  ) {
    super(`${platform}: ${problem}`);
  }

  /** The platform's name as users know it. */
  get label(): string {
    return LABELS[this.platform];
  }
}

/**
 * One HTTP call to a platform with every way it can fail as a PlatformError: no answer (network, timeout) and a
 * body that is not a JSON object. The HTTP status is returned for the caller to judge.
 */
export async function platformFetch(
  platform: PlatformName,
  url: URL,
  init: { method: string; headers?: Record<string, string>; body?: unknown },
  timeoutMs: number,
): Promise<{ status: number; ok: boolean; json: Record<string, unknown> | null }> {
  let res: Response;
  let text: string;
  doneOutside(); // sent: a rerun of the request would send it again
  try {
    res = await fetch(url, {
      method: init.method,
      headers: init.body === undefined ? init.headers : { 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `${timeoutMs} ms 内无响应` : `网络错误 ${e.cause?.code ?? e.message}`;
    throw new PlatformError(platform, `${url.pathname}: ${why}`, true);
  }
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* judged below */
  }
  const object = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  // Only the shape of a bad body is kept (it goes to the log and may hold personal data, e.g. remark mobiles).
  if (!object && res.ok)
    throw new PlatformError(
      platform,
      `${url.pathname}: HTTP ${res.status}，返回的不是 JSON 对象（${res.headers.get('content-type') ?? '无类型'}，${text.length} 字符）`,
      true,
    );
  return { status: res.status, ok: res.ok, json: object };
}
