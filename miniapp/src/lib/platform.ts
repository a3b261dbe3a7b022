import Taro from '@tarojs/taro';
import { api, hasToken, setToken } from './api';

export type Platform = 'wecom' | 'dingtalk' | 'browser' | 'weapp' | 'dd';

export interface SidebarConfig {
  demo: boolean;
  wecom: { corpId: string; agentId: number } | null;
  dingtalk: { clientId: string; corpId: string | null } | null;
  voice: { serverTranscription: boolean; llmDraft: boolean };
}

export function detectPlatform(): Platform {
  if (process.env.TARO_ENV === 'weapp') return 'weapp';
  if (process.env.TARO_ENV === 'dd') return 'dd';
  const ua = typeof navigator === 'undefined' ? '' : navigator.userAgent;
  if (/wxwork/i.test(ua)) return 'wecom';
  if (/DingTalk/i.test(ua)) return 'dingtalk';
  return 'browser';
}

export function pageQuery(): Record<string, string> {
  const out: Record<string, string> = { ...(Taro.getCurrentInstance().router?.params ?? {}) } as Record<string, string>;
  if (typeof location !== 'undefined') {
    new URLSearchParams(location.search).forEach((v, k) => (out[k] = v));
  }
  return out;
}

/** WeCom: the OAuth code on the URL → session; without one, go through OAuth (snsapi_base, silent). */
export async function wecomLogin(cfg: SidebarConfig): Promise<boolean> {
  const code = pageQuery().code;
  if (code) {
    const r = await api<{ token: string }>('POST', '/api/auth/wecom', { code });
    setToken(r.token);
    // Drop the used code from the address bar so a reload does not try it again.
    const url = new URL(location.href);
    url.searchParams.delete('code');
    url.searchParams.delete('state');
    history.replaceState(null, '', url.toString());
    return true;
  }
  if (!cfg.wecom) return false;
  goThroughWecomOAuth(cfg.wecom);
  return false;
}

/** WeCom's silent OAuth (snsapi_base): comes back to this address with `code` (and keeps its other parameters). */
function goThroughWecomOAuth(wecom: NonNullable<SidebarConfig['wecom']>): void {
  const redirect = encodeURIComponent(location.href.split('#')[0]);
  location.href =
    `https://open.weixin.qq.com/connect/oauth2/authorize?appid=${wecom.corpId}&redirect_uri=${redirect}` +
    `&response_type=code&scope=snsapi_base&state=lifeline&agentid=${wecom.agentId}#wechat_redirect`;
}

/**
 * A one-time sign-in link (`?signin=`, printed by `npm run company:create` or issued by an admin): traded for a session
 * once. Inside WeCom the link first goes through OAuth (inside DingTalk, an auth code is asked for), so the same request
 * also binds the platform account.
 * Returns 'none' without a link, 'redirected' while WeCom OAuth runs, 'signed-in' when the session is set.
 */
export async function linkLogin(platform: Platform, cfg: SidebarConfig): Promise<'none' | 'redirected' | 'signed-in'> {
  const q = pageQuery();
  if (!q.signin) return 'none';
  const inWecom = platform === 'wecom' && !!cfg.wecom;
  if (inWecom && !q.code) {
    goThroughWecomOAuth(cfg.wecom!);
    return 'redirected';
  }
  try {
    const inDingtalk = (platform === 'dingtalk' || platform === 'dd') && !!cfg.dingtalk;
    const binding = inWecom ? { wecomCode: q.code } : inDingtalk ? { dingtalkAuthCode: await dingtalkAuthCode(cfg) } : {};
    const r = await api<{ token: string }>('POST', '/api/auth/link', { token: q.signin, ...binding });
    setToken(r.token);
  } catch (e) {
    // Reopened from the history or a bookmark after signing in: keep the session, say nothing.
    if (
      !hasToken() ||
      !(await api('GET', '/api/me').then(
        () => true,
        () => false,
      ))
    )
      throw e;
  }
  // The link works once: drop it (and the used code) from the address bar.
  const url = new URL(location.href);
  for (const k of ['signin', 'code', 'state']) url.searchParams.delete(k);
  history.replaceState(null, '', url.toString());
  return 'signed-in';
}

/** DingTalk (H5 micro-app or mini-app): a one-time auth code for the signed-in DingTalk member. */
async function dingtalkAuthCode(cfg: SidebarConfig): Promise<string> {
  const g = globalThis as any;
  if (process.env.TARO_ENV === 'dd') {
    return new Promise((resolve, reject) => g.dd.getAuthCode({ success: (r: any) => resolve(r.authCode), fail: reject }));
  }
  if (!g.dd) await loadScript('https://g.alicdn.com/dingding/dingtalk-jsapi/3.0.25/dingtalk.open.js');
  return new Promise((resolve, reject) =>
    g.dd.runtime.permission.requestAuthCode({
      corpId: cfg.dingtalk?.corpId,
      clientId: cfg.dingtalk?.clientId,
      onSuccess: (r: any) => resolve(r.code),
      onFail: reject,
    }),
  );
}

/** DingTalk (H5 micro-app or mini-app): requestAuthCode → session. */
export async function dingtalkLogin(cfg: SidebarConfig): Promise<void> {
  const r = await api<{ token: string }>('POST', '/api/auth/dingtalk', { authCode: await dingtalkAuthCode(cfg) });
  setToken(r.token);
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`load ${src}`));
    document.head.appendChild(s);
  });
}

/** Demo / plain browser: sign in as a seeded user through dev-login (only enabled in demo mode). */
export async function devLogin(by: { userId?: number; role?: string }): Promise<{ id: number; name: string; role: string }> {
  const r = await api<{ token: string; user: { id: number; name: string; role: string } }>('POST', '/api/auth/dev-login', by);
  setToken(r.token);
  return r.user;
}
