import type { Clock } from '../../clock';
import { TokenCache } from '../token-cache';
import { PlatformError, platformFetch } from '../platform-error';

export interface DingtalkConfig {
  appKey: string;
  appSecret: string;
  /** the organisation's corpId: the DingTalk client needs it for requestAuthCode */
  corpId?: string;
  /** When set (tests, proxies), both the old (oapi) and new (api) endpoints are served from here. */
  apiBase?: string;
  callbackToken?: string;
  callbackAesKey?: string;
  /** Work-notice agent id (DINGTALK_AGENT_ID); alarms to DingTalk need it. */
  agentId?: number;
  /** Interactive alarm cards (DINGTALK_CARD_TEMPLATE_ID + DINGTALK_ROBOT_CODE): both set = cards with a callback. */
  cardTemplateId?: string;
  robotCode?: string;
  /** callbackRouteKey the card callback URL is registered under (default `lifeline-alarms`). */
  cardRouteKey?: string;
}

/** An error code from DingTalk (errcode, a v1.0 `code`, or `HTTP <status>`), with the call it came from. */
export class DingtalkError extends PlatformError {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly path: string,
    readonly status?: number,
    transport = false,
  ) {
    super('dingtalk', `${path} error ${code}: ${detail}`, transport);
  }
}

const OAPI = 'https://oapi.dingtalk.com';
const NEW_API = 'https://api.dingtalk.com';

/**
 * DingTalk server API for an internal app. One access token (old `gettoken`, also accepted by the
 * new API as `x-acs-dingtalk-access-token`), cached; `oapi` calls check errcode, `v1` calls check HTTP status.
 */
export class DingtalkApi {
  private readonly tokens: TokenCache;

  constructor(
    readonly config: DingtalkConfig,
    clock: Clock,
    private readonly timeoutMs = 5000,
  ) {
    this.tokens = new TokenCache(clock, async () => {
      const r = await this.request<{ errcode?: number; errmsg?: string; access_token: string; expires_in: number }>(
        'GET',
        this.oapiUrl('/gettoken', { appkey: config.appKey, appsecret: config.appSecret }),
      );
      if (r.errcode) throw new DingtalkError(String(r.errcode), r.errmsg ?? '', '/gettoken');
      if (typeof r.access_token !== 'string' || !r.access_token) throw new PlatformError('dingtalk', '/gettoken 的返回缺少 access_token');
      return { token: r.access_token, expiresIn: Number(r.expires_in) || 7200 };
    });
  }

  accessToken(force = false): Promise<string> {
    return this.tokens.get(force);
  }

  /** Old-style API (oapi.dingtalk.com): `?access_token=`, errcode in the body. */
  async oapi<T>(method: 'GET' | 'POST', path: string, body?: unknown, query: Record<string, string> = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(attempt > 0);
      const r = await this.request<T & { errcode?: number; errmsg?: string }>(method, this.oapiUrl(path, { ...query, access_token: token }), body);
      if (r.errcode === 40014 || r.errcode === 42001) {
        if (attempt === 0) continue;
      }
      if (r.errcode) throw new DingtalkError(String(r.errcode), r.errmsg ?? '', path);
      return r;
    }
  }

  /** New-style API (api.dingtalk.com/v1.0/...): token in a header, errors as HTTP status + {code, message}. */
  async v1<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(attempt > 0);
      const url = new URL(path, this.config.apiBase ?? NEW_API);
      const res = await platformFetch('dingtalk', url, { method, headers: { 'x-acs-dingtalk-access-token': token }, body }, this.timeoutMs);
      if (res.status === 401 && attempt === 0) continue;
      const json = (res.json ?? {}) as T & { code?: string; message?: string };
      if (!res.ok) throw new DingtalkError(String(json.code ?? `HTTP ${res.status}`), String(json.message ?? ''), path, res.status, res.status >= 500);
      return json;
    }
  }

  private oapiUrl(path: string, query: Record<string, string>): URL {
    const url = new URL(path, this.config.apiBase ?? OAPI);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  private async request<T>(method: string, url: URL, body?: unknown): Promise<T> {
    const res = await platformFetch('dingtalk', url, { method, body }, this.timeoutMs);
    if (!res.ok || !res.json) throw new DingtalkError(`HTTP ${res.status}`, '', url.pathname, res.status, true);
    return res.json as T;
  }
}
