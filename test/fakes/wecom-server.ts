import { randomBytes } from 'node:crypto';
import { HttpFake, type FakeRequest } from './http-fake';

/**
 * Fake WeCom server API (qyapi.weixin.qq.com) speaking the documented wire protocol: gettoken issues
 * tokens that it later checks, expiring or revoking them on demand (42001 / 40014). Capabilities
 * register the endpoints they use with `route()`, guarded by `authed()`.
 */
export class FakeWecom extends HttpFake {
  readonly tokens = new Set<string>();
  tokenFetches = 0;

  constructor(
    readonly corpId = 'wwfakecorp0001',
    readonly secret = 'fake-secret-0001',
  ) {
    super();
    this.route('GET', '/cgi-bin/gettoken', (req) => {
      if (req.query.corpid !== this.corpId) return { json: { errcode: 40013, errmsg: 'invalid corpid' } };
      if (req.query.corpsecret !== this.secret) return { json: { errcode: 40001, errmsg: 'invalid credential' } };
      const token = `tok_${randomBytes(8).toString('hex')}`;
      this.tokens.add(token);
      this.tokenFetches++;
      return { json: { errcode: 0, errmsg: 'ok', access_token: token, expires_in: 7200 } };
    });
  }

  /** Wraps a handler with WeCom's token check: 41001 missing, 42001 expired/revoked. */
  authed(handler: (req: FakeRequest) => unknown) {
    return async (req: FakeRequest) => {
      const t = req.query.access_token;
      if (!t) return { json: { errcode: 41001, errmsg: 'access_token missing' } };
      if (!this.tokens.has(t)) return { json: { errcode: 42001, errmsg: 'access_token expired' } };
      return { json: await handler(req) };
    };
  }

  /** Every token issued so far stops working (as after expiry). */
  expireTokens(): void {
    this.tokens.clear();
  }
}
