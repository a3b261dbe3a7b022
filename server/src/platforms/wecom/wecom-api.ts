import type { Clock } from '../../clock';
import { TokenCache } from '../token-cache';

export interface WecomConfig {
  corpId: string;
  agentId: number;
  secret: string;
  /** https://qyapi.weixin.qq.com unless pointed elsewhere (tests, proxies). */
  apiBase: string;
  callbackToken?: string;
  callbackAesKey?: string;
}

/** errcode from WeCom, with the call it came from. */
export class WecomError extends Error {
  constructor(readonly errcode: number, readonly errmsg: string, readonly path: string) {
    super(`WeCom ${path} errcode ${errcode}: ${errmsg}`);
  }
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

  constructor(readonly config: WecomConfig, clock: Clock, private readonly timeoutMs = 5000) {
    this.tokens = new TokenCache(clock, async () => {
      const r = await this.raw<WecomReply & { access_token: string; expires_in: number }>('GET', '/cgi-bin/gettoken', {
        corpid: config.corpId,
        corpsecret: config.secret,
      });
      return { token: r.access_token, expiresIn: r.expires_in };
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
    const res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new WecomError(-1, `HTTP ${res.status}`, path);
    const json = (await res.json()) as T;
    if (json.errcode) throw new WecomError(json.errcode, json.errmsg ?? '', path);
    return json;
  }
}
