import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock';
import { TokenCache } from '../token-cache';
import { requiredField, type WecomApi } from './wecom-api';

export interface JsapiSignature {
  corpId: string;
  agentId: number;
  timestamp: number;
  nonceStr: string;
  /** for ww.register's getConfigSignature (corp jsapi ticket) */
  signature: string;
  /** for ww.register's getAgentConfigSignature (agent_config ticket) */
  agentSignature: string;
}

/**
 * JS-SDK signatures for `ww.register`. The corp and agent jsapi tickets are fetched with the access token and
 * cached here (WeCom limits ticket fetches); only signatures ever leave the server, never a ticket.
 */
export class WecomJsapi {
  private readonly corpTicket: TokenCache;
  private readonly agentTicket: TokenCache;

  constructor(
    private readonly api: WecomApi,
    private readonly clock: Clock,
  ) {
    this.corpTicket = new TokenCache(clock, async () => {
      const r = await api.get<{ ticket: string; expires_in: number }>('/cgi-bin/get_jsapi_ticket');
      return { token: requiredField(r, 'ticket', '/cgi-bin/get_jsapi_ticket'), expiresIn: Number(r.expires_in) || 7200 };
    });
    this.agentTicket = new TokenCache(clock, async () => {
      const r = await api.get<{ ticket: string; expires_in: number }>('/cgi-bin/ticket/get', { type: 'agent_config' });
      return { token: requiredField(r, 'ticket', '/cgi-bin/ticket/get'), expiresIn: Number(r.expires_in) || 7200 };
    });
  }

  async sign(pageUrl: string): Promise<JsapiSignature> {
    const url = pageUrl.split('#')[0]; // WeCom signs the URL without its fragment
    const [corp, agent] = await Promise.all([this.corpTicket.get(), this.agentTicket.get()]);
    const timestamp = Math.floor(this.clock.now() / 1000);
    const nonceStr = randomBytes(8).toString('hex');
    return {
      corpId: this.api.config.corpId,
      agentId: this.api.config.agentId,
      timestamp,
      nonceStr,
      signature: jsapiSignature(corp, nonceStr, timestamp, url),
      agentSignature: jsapiSignature(agent, nonceStr, timestamp, url),
    };
  }
}

/** sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (keys in that order), as WeCom documents. */
function jsapiSignature(ticket: string, nonceStr: string, timestamp: number, url: string): string {
  return createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`).digest('hex');
}
