import { useEffect, useState } from 'react';
import { api, hasToken } from './api';
import { detectPlatform, devLogin, dingtalkLogin, linkLogin, wecomLogin, type Platform, type SidebarConfig } from './platform';

export interface Me {
  id: number;
  name: string;
  role: string;
  roleLabel?: string;
  canExport?: boolean;
  orgUnitId?: number | null;
}

export interface DemoUser {
  id: number;
  name: string;
  role: string;
  roleLabel?: string;
}

/**
 * Sign-in shared by the workbench pages (待办, 团队, 设置): a one-time link, WeCom OAuth, DingTalk auth code, the stored
 * session, or — demo mode in a plain browser — dev-login as `demoRole`, with every demo user offered for switching.
 */
export function useSession(demoRole: string) {
  const [platform] = useState<Platform>(detectPlatform);
  const [config, setConfig] = useState<SidebarConfig | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [users, setUsers] = useState<DemoUser[]>([]);
  const [fatal, setFatal] = useState('');

  useEffect(() => {
    void (async () => {
      try {
        const cfg = await api<SidebarConfig>('GET', '/api/sidebar/config');
        setConfig(cfg);
        if ((await linkLogin(platform, cfg)) === 'redirected') return;
        if (platform === 'wecom' && cfg.wecom && !hasToken() && !(await wecomLogin(cfg))) return;
        if ((platform === 'dingtalk' || platform === 'dd') && cfg.dingtalk && !hasToken()) await dingtalkLogin(cfg);
        let who: Me | null = hasToken() ? await api<Me>('GET', '/api/me').catch(() => null) : null;
        if (!who) {
          if (!cfg.demo) return setFatal('请在企业微信或钉钉中打开');
          await devLogin({ role: demoRole });
          who = await api<Me>('GET', '/api/me');
        }
        setMe(who);
        if (cfg.demo && platform === 'browser') setUsers((await api<{ items: DemoUser[] }>('GET', '/api/auth/dev-users').catch(() => ({ items: [] }))).items);
      } catch (e) {
        setFatal((e as Error).message);
      }
    })();
  }, [platform, demoRole]);

  const switchUser = async (u: DemoUser) => {
    await devLogin({ userId: u.id });
    setMe(await api<Me>('GET', '/api/me'));
  };
  return { platform, config, me, users, fatal, switchUser };
}
