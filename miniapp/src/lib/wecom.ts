import { api } from './api';
import type { SidebarConfig } from './platform';

/** The WeCom JS-SDK, loaded only inside WeCom (its own chunk), registered with server-made signatures. */
let ready: Promise<any> | null = null;

function wecomSdk(cfg: SidebarConfig): Promise<any> {
  ready ??= import(/* webpackChunkName: "wecom-jssdk" */ '@wecom/jssdk').then(async (ww: any) => {
    const sign = async () => api<any>('GET', `/api/wecom/jsapi-signature?url=${encodeURIComponent(location.href.split('#')[0])}`);
    ww.register({
      corpId: cfg.wecom!.corpId,
      agentId: cfg.wecom!.agentId,
      jsApiList: ['getContext', 'getCurExternalContact', 'sendChatMessage', 'startRecord', 'stopRecord', 'translateVoice'],
      getConfigSignature: async () => {
        const s = await sign();
        return { timestamp: s.timestamp, nonceStr: s.nonceStr, signature: s.signature };
      },
      getAgentConfigSignature: async () => {
        const s = await sign();
        return { timestamp: s.timestamp, nonceStr: s.nonceStr, signature: s.agentSignature };
      },
    });
    return ww;
  });
  return ready;
}

/** In a single chat's toolbar: the customer's phone from the rep's remark mobiles (or null). */
export async function phoneFromChat(cfg: SidebarConfig): Promise<{ phone: string | null; name: string } | null> {
  const ww = await wecomSdk(cfg);
  const ctx = await ww.getContext();
  if (ctx.entry !== 'single_chat_tools') return null;
  const { userId } = await ww.getCurExternalContact();
  const info = await api<{ name: string; phones: string[] }>('GET', `/api/wecom/external-contact/${encodeURIComponent(userId)}`);
  return { phone: info.phones[0] ?? null, name: info.name };
}

export async function sendChatText(cfg: SidebarConfig, content: string): Promise<void> {
  const ww = await wecomSdk(cfg);
  await ww.sendChatMessage({ msgtype: 'text', text: { content } });
}

/** WeCom mobile: record with the client and let WeCom transcribe. */
export async function startWecomRecord(cfg: SidebarConfig): Promise<void> {
  const ww = await wecomSdk(cfg);
  await ww.startRecord();
}

export async function stopWecomRecord(cfg: SidebarConfig): Promise<string> {
  const ww = await wecomSdk(cfg);
  const { localId } = await ww.stopRecord();
  const r = await ww.translateVoice({ localId, isShowProgressTips: 1 });
  return r.translateResult ?? '';
}
