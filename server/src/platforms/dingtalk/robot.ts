import { createHmac } from 'node:crypto';
import { DeliveryError, type AlarmChannel, type Outgoing } from '../../channels/port';
import { robotMarkdown } from '../wecom/robot';

/** DingTalk custom robot 加签: base64(HmacSHA256(secret, `${ms}\n${secret}`)), URL-encoded. */
export function dingtalkRobotSign(secret: string, timestampMs: number): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64'));
}

/**
 * DingTalk signed custom robot for a supervisors' group: an actionCard whose button is a link (robots have no
 * callbacks). HTTP 200 even on failure, so errcode is checked; 130101 (too fast) is retried with backoff.
 */
export class DingtalkGroupRobot implements AlarmChannel {
  constructor(
    private readonly webhookUrl: string,
    private readonly secret: string | undefined,
    private readonly now: () => number,
    private readonly timeoutMs = 5000,
  ) {}

  async send(_to: unknown, out: Outgoing): Promise<{ ref: string | null }> {
    const url = new URL(this.webhookUrl);
    if (this.secret) {
      const t = this.now();
      url.searchParams.set('timestamp', String(t));
      url.search += `&sign=${dingtalkRobotSign(this.secret, t)}`;
    }
    const title = out.kind === 'card' || out.kind === 'digest' ? out.title : '线索提醒';
    const open = out.kind === 'card' || out.kind === 'digest' ? out.openUrl : '';
    const body = open
      ? {
          msgtype: 'actionCard',
          actionCard: { title, text: robotMarkdown(out, (x) => x).replace(/\[查看\]\([^)]*\)$/, ''), singleTitle: '查看详情', singleURL: open },
        }
      : { msgtype: 'markdown', markdown: { title, text: robotMarkdown(out, (x) => x) } };
    let json: { errcode?: number; errmsg?: string };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json;charset=utf-8' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      json = (await res.json().catch(() => ({ errcode: -1, errmsg: `HTTP ${res.status}` }))) as typeof json;
    } catch (err) {
      throw new DeliveryError(`网络错误：${(err as Error).message}`.slice(0, 250), true);
    }
    if (json.errcode) throw new DeliveryError(`DingTalk robot ${json.errcode}: ${json.errmsg ?? ''}`.slice(0, 250), [130101, -1].includes(json.errcode));
    return { ref: null };
  }
}
