import { DeliveryError, type AlarmChannel, type Outgoing } from '../../channels/port';

/**
 * WeCom group robot (群机器人) for a supervisors' group: markdown, no buttons (robot cards have no callbacks),
 * 20 messages/min per robot. The webhook URL (with its key) is the credential: configured, never logged.
 */
export class WecomGroupRobot implements AlarmChannel {
  constructor(
    private readonly webhookUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  async send(_to: unknown, out: Outgoing): Promise<{ ref: string | null }> {
    const content = robotMarkdown(out, (t) => `<font color="warning">${t}</font>`).slice(0, 1300); // ≤ 4096 bytes in UTF-8
    let json: { errcode?: number; errmsg?: string };
    try {
      const res = await fetch(this.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'markdown', markdown: { content } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      json = (await res.json().catch(() => ({ errcode: -1, errmsg: `HTTP ${res.status}` }))) as typeof json;
    } catch (err) {
      throw new DeliveryError(`网络错误：${(err as Error).message}`.slice(0, 250), true);
    }
    if (json.errcode) throw new DeliveryError(`WeCom robot ${json.errcode}: ${json.errmsg ?? ''}`.slice(0, 250), [45009, -1].includes(json.errcode));
    return { ref: null };
  }
}

/** The text a group sees: the card or digest as markdown, with the link to open. */
export function robotMarkdown(out: Outgoing, emphasise: (t: string) => string): string {
  if (out.kind === 'card') {
    const c = out.card;
    return `**${emphasise(out.title)}**\n> 客户：${c.leadName}（${c.maskedPhone}）\n> 渠道：${c.channel}\n> 线索时长：${c.age}${c.repName ? `\n> 负责人：${c.repName}` : ''}\n[查看](${out.openUrl})`;
  }
  if (out.kind === 'digest') return `**${emphasise(out.title)}**\n${out.lines.map((l) => `> ${l}`).join('\n')}\n[查看](${out.openUrl})`;
  if (out.kind === 'script') return out.text;
  return out.replaceName;
}
