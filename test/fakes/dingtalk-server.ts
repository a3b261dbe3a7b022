import { randomBytes } from 'node:crypto';
import { HttpFake, type FakeRequest } from './http-fake';

/** Fake DingTalk API: old `gettoken` plus token-checked routes for oapi (errcode) and v1.0 (header) calls. */
export class FakeDingtalk extends HttpFake {
  readonly tokens = new Set<string>();
  tokenFetches = 0;

  constructor(
    readonly appKey = 'dingfakeappkey01',
    readonly appSecret = 'fake-dt-secret-01',
  ) {
    super();
    this.route('GET', '/gettoken', (req) => {
      if (req.query.appkey !== this.appKey || req.query.appsecret !== this.appSecret) {
        return { json: { errcode: 40089, errmsg: '不合法的corpid或corpsecret' } };
      }
      const token = `dt_${randomBytes(8).toString('hex')}`;
      this.tokens.add(token);
      this.tokenFetches++;
      return { json: { errcode: 0, errmsg: 'ok', access_token: token, expires_in: 7200 } };
    });
  }

  oapiAuthed(handler: (req: FakeRequest) => unknown) {
    return async (req: FakeRequest) => {
      if (!this.tokens.has(req.query.access_token ?? '')) return { json: { errcode: 42001, errmsg: '不合法的access_token' } };
      return { json: await handler(req) };
    };
  }

  v1Authed(handler: (req: FakeRequest) => unknown) {
    return async (req: FakeRequest) => {
      const t = req.headers['x-acs-dingtalk-access-token'];
      if (typeof t !== 'string' || !this.tokens.has(t)) return { status: 401, json: { code: 'InvalidAuthentication', message: '不合法的access_token' } };
      return { json: await handler(req) };
    };
  }

  expireTokens(): void {
    this.tokens.clear();
  }
}
