import type { User } from '../../users/user.entity';
import { AlreadyDelivered, DeliveryError, type AlarmChannel, type Outgoing } from '../../channels/port';
import { WecomError, type WecomApi } from './wecom-api';
import { PlatformError } from '../platform-error';

/** errcodes worth retrying with backoff: throttled (45009/45033) and system busy (-1). */
const RETRY = new Set([45009, 45033, -1]);

/** Renders an alarm as a `template_card` of type `button_interaction` (doc 90236 / 94888). */
function templateCard(out: Extract<Outgoing, { kind: 'card' }>) {
  const c = out.card;
  return {
    card_type: 'button_interaction',
    source: { desc: 'Lifeline 线索提醒', desc_color: 2 },
    main_title: { title: out.title.slice(0, 36), desc: c.ruleLabel },
    sub_title_text: out.scripts.length ? `推荐话术：${out.scripts[0].text}`.slice(0, 160) : undefined,
    horizontal_content_list: [
      { keyname: '客户', value: c.leadName },
      { keyname: '电话', value: c.maskedPhone },
      { keyname: '渠道', value: c.channel },
      { keyname: '线索时长', value: c.age },
      ...(c.repName ? [{ keyname: '负责人', value: c.repName }] : []),
      ...(c.nextStepAction ? [{ keyname: '约定事项', value: c.nextStepAction }] : []),
    ].slice(0, 6),
    card_action: { type: 1, url: out.openUrl },
    task_id: out.taskId,
    button_list: out.buttons.slice(0, 6).map((b, i) => ({ type: 0, text: b.text.slice(0, 10), style: i === out.buttons.length - 1 ? 2 : 1, key: b.key })),
  };
}

/** WeCom app messages: alarm cards, digests (markdown), script texts, and active card updates. */
export class WecomChannel implements AlarmChannel {
  constructor(private readonly api: WecomApi) {}

  async send(to: User | null, out: Outgoing): Promise<{ ref: string | null }> {
    const userid = to?.wecomUserId;
    if (!userid) throw new DeliveryError('收件人没有企业微信账号', false);
    const agentid = this.api.config.agentId;
    try {
      if (out.kind === 'update') {
        if (!out.responseCode) throw new DeliveryError('没有可用的 response_code，无法更新卡片', false);
        await this.api.post('/cgi-bin/message/update_template_card', {
          userids: [userid],
          agentid,
          response_code: out.responseCode,
          button: { replace_name: out.replaceName.slice(0, 20) },
        });
        return { ref: null };
      }
      const body =
        out.kind === 'card'
          ? { touser: userid, msgtype: 'template_card', agentid, template_card: templateCard(out) }
          : out.kind === 'digest'
            ? { touser: userid, msgtype: 'markdown', agentid, markdown: { content: digestMarkdown(out) } }
            : {
                touser: userid,
                msgtype: 'text',
                agentid,
                text: { content: `请复制以下话术发给${out.leadName}：\n\n${out.text}\n\n在侧边栏打开：${out.link}` },
              };
      const r = await this.api.post<{ response_code?: string; invaliduser?: string }>('/cgi-bin/message/send', body);
      if (r.invaliduser && r.invaliduser.split('|').includes(userid)) throw new DeliveryError(`企业微信无效成员 ${userid}`, false);
      return { ref: r.response_code ?? null };
    } catch (err) {
      throw classify(err, out);
    }
  }
}

function digestMarkdown(out: Extract<Outgoing, { kind: 'digest' }>): string {
  const text = `**${out.title}**\n${out.lines.map((l) => `> ${l}`).join('\n')}\n[打开查看](${out.openUrl})`;
  return Buffer.byteLength(text) <= 2048 ? text : `**${out.title}**\n共 ${out.lines.length} 条，[打开查看](${out.openUrl})`;
}

function classify(err: unknown, out: Outgoing): Error {
  if (err instanceof DeliveryError) return err;
  if (err instanceof WecomError) {
    // Our task ids are deterministic per alarm and recipient, so an existing one means an earlier attempt
    // (e.g. by a process killed before it recorded the send) got through: count it as delivered.
    if (err.errcode === 42014 && out.kind === 'card') return new AlreadyDelivered();
    return new DeliveryError(`WeCom ${err.errcode}: ${err.errmsg}`.slice(0, 250), RETRY.has(err.errcode));
  }
  return platformDeliveryError(err);
}

/** A platform failure other than an error code (no answer, not JSON, a field missing): retried with backoff. */
export function platformDeliveryError(err: unknown): Error {
  if (err instanceof PlatformError) return new DeliveryError(`${err.transport ? '网络错误' : `${err.label}返回异常`}：${err.problem}`.slice(0, 250), true);
  return err as Error;
}
