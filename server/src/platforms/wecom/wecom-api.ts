import type { Clock } from '../../clock';
import { TokenCache } from '../token-cache';
import { PlatformError, platformFetch } from '../platform-error';

export interface WecomConfig {
  corpId: string;
  agentId: number;
  secret: string;
  /** https://qyapi.weixin.qq.com unless pointed elsewhere (tests, proxies). */
  apiBase: string;
  callbackToken?: string;
  callbackAesKey?: string;
}

/** errcode from WeCom (-1 also for an HTTP error status), with the call it came from. */
export class WecomError extends PlatformError {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly path: string,
    transport = false,
  ) {
    super('wecom', `${path} errcode ${errcode}: ${errmsg}`, transport);
  }
}

/** A string field of a WeCom answer the caller cannot do without (a token, a ticket), or a PlatformError. */
export function requiredField(reply: object, field: string, path: string): string {
  const v = (reply as Record<string, unknown>)[field];
  if (typeof v !== 'string' || !v) throw new PlatformError('wecom', `${path} 的返回缺少 ${field}`);
  return v;
}

/** Codes that mean "this access token is no good": refresh once and retry. */
const TOKEN_INVALID = new Set([40014, 42001, 41001]);

interface WecomReply {
  errcode?: number;
  errmsg?: string;
}

/**
 * The WeCom server API: access token (cached, refreshed on 40014/42001) plus GET/POST helpers that
 * raise WecomError on a non-zero errcode. Capabilities add their calls in their own files.
 */
export class WecomApi {
  private readonly tokens: TokenCache;

  constructor(
    readonly config: WecomConfig,
    clock: Clock,
    private readonly timeoutMs = 5000,
  ) {
    this.tokens = new TokenCache(clock, async () => {
      const r = await this.raw<WecomReply & { access_token: string; expires_in: number }>('GET', '/cgi-bin/gettoken', {
        corpid: config.corpId,
        corpsecret: config.secret,
      });
      return { token: requiredField(r, 'access_token', '/cgi-bin/gettoken'), expiresIn: Number(r.expires_in) || 7200 };
    });
  }

  accessToken(force = false): Promise<string> {
    return this.tokens.get(force);
  }

  get<T>(path: string, query: Record<string, string | number> = {}): Promise<T & WecomReply> {
    return this.call<T & WecomReply>('GET', path, query);
  }

  post<T>(path: string, body: unknown, query: Record<string, string | number> = {}): Promise<T & WecomReply> {
    return this.call<T & WecomReply>('POST', path, query, body);
  }

  private async call<T extends WecomReply>(method: string, path: string, query: Record<string, string | number>, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(attempt > 0);
      try {
        return await this.raw<T>(method, path, { ...query, access_token: token }, body);
      } catch (err) {
        if (attempt === 0 && err instanceof WecomError && TOKEN_INVALID.has(err.errcode)) continue;
        throw err;
      }
    }
  }

  private async raw<T extends WecomReply>(method: string, path: string, query: Record<string, string | number>, body?: unknown): Promise<T> {
    const url = new URL(path, this.config.apiBase);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
    const res = await platformFetch('wecom', url, { method, body }, this.timeoutMs);
    if (!res.ok || !res.json) throw new WecomError(-1, `HTTP ${res.status}`, path, true);
    const json = res.json as T;
    if (json.errcode) throw new WecomError(Number(json.errcode), String(json.errmsg ?? ''), path);
    return json;
  }
}
