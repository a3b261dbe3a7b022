import type { BrowserContext } from 'playwright-core';
import { FakeWecom } from '../fakes/wecom-server';
import type { SidebarRig } from './support';

const WECOM_MOBILE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1';
const WECOM_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) wxwork/4.1.30 MicroMessenger/7.0.1';

/** Fake WeCom server API for the sidebar: OAuth code-zhangmin → zhangmin, jsapi tickets, and the chat's contact (王妈妈). */
export async function fakeWecomForSidebar(phone = '139 1544 1234'): Promise<FakeWecom> {
  const wecom = await new FakeWecom().start();
  wecom.route(
    'GET',
    '/cgi-bin/auth/getuserinfo',
    wecom.authed((req) => (req.query.code === 'code-zhangmin' ? { errcode: 0, errmsg: 'ok', userid: 'zhangmin' } : { errcode: 40029, errmsg: 'invalid code' })),
  );
  wecom.route(
    'GET',
    '/cgi-bin/get_jsapi_ticket',
    wecom.authed(() => ({ errcode: 0, errmsg: 'ok', ticket: 'corp-ticket-e2e', expires_in: 7200 })),
  );
  wecom.route(
    'GET',
    '/cgi-bin/ticket/get',
    wecom.authed(() => ({ errcode: 0, errmsg: 'ok', ticket: 'agent-ticket-e2e', expires_in: 7200 })),
  );
  wecom.route(
    'GET',
    '/cgi-bin/externalcontact/get',
    wecom.authed((req) => ({
      errcode: 0,
      errmsg: 'ok',
      external_contact: { external_userid: req.query.external_userid, name: '王妈妈', type: 1 },
      follow_user: [{ userid: 'zhangmin', remark: '王妈妈', remark_mobiles: [phone] }],
    })),
  );
  return wecom;
}

const bridge = (translateResult: string) => `
(() => {
  const replies = {
    getContext: { entry: 'single_chat_tools' },
    getCurExternalContact: { userId: 'wmWangE2E' },
    startRecord: {},
    stopRecord: { localId: 'weixin://voice/local-1' },
    translateVoice: { translateResult: ${JSON.stringify(translateResult)} },
  };
  window.__bridge = [];
  window.WeixinJSBridge = {
    invoke(name, params, cb) {
      window.__bridge.push({ name, params });
      setTimeout(() => cb(Object.assign({}, replies[name] || {})), 5);
    },
    on() {},
  };
})();
`;

/**
 * A browser context that looks like the WeCom desktop client: its user agent, and a `WeixinJSBridge` that answers the
 * sidebar's JS-SDK calls (a single-chat toolbar with external contact wmWangE2E; recording and
 * translateVoice on the phone) and records them in `window.__bridge`.
 */
export async function wecomContext(rig: SidebarRig, opts: { mobile?: boolean; translateResult?: string } = {}): Promise<BrowserContext> {
  const context = await rig.browser.newContext({
    viewport: { width: 360, height: 800 },
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    userAgent: opts.mobile ? WECOM_MOBILE_UA : WECOM_UA,
    isMobile: !!opts.mobile,
  });
  // A string, not a function: tsx (esbuild keepNames) would wrap a function with helpers the page does not have.
  await context.addInitScript({ content: bridge(opts.translateResult ?? '') });
  return context;
}
