import type { User } from '../../users/user.entity';
import { DeliveryError, type AlarmChannel, type Outgoing } from '../../channels/port';
import { DingtalkError, type DingtalkApi, type DingtalkConfig } from './dingtalk-api';
import { isCardOutTrackId, type DingtalkCards } from './cards';
import { platformDeliveryError } from '../wecom/messages';

/** errcodes to retry: throttled (90018 / 130101 / 88) and system busy (-1). */
const RETRY = new Set(['-1', '88', '90018', '130101']);

/**
 * DingTalk work notices (工作通知, asyncsend_v2): alarm cards as `action_card` whose buttons are signed
 * links into the same tap handling; digests as markdown; script texts as text. Work notices cannot be
 * edited, so "update" sends a short follow-up notice saying who handled it. With `cards` (DINGTALK_CARD_TEMPLATE_ID
 * + DINGTALK_ROBOT_CODE) alarm cards are interactive cards instead, updated in place (see cards.ts).
 */
export class DingtalkChannel implements AlarmChannel {
  constructor(
    private readonly api: DingtalkApi,
    private readonly config: DingtalkConfig & { agentId?: number },
    private readonly cards?: DingtalkCards,
  ) {}

  async send(to: User | null, out: Outgoing): Promise<{ ref: string | null }> {
    if (!to?.dingtalkUserId) throw new DeliveryError('收件人没有钉钉账号', false);
    if (this.cards && out.kind === 'card' && out.messageId) return this.cards.deliver(to.dingtalkUserId, out);
    // A copy delivered as an interactive card is updated in place; older work-notice copies get the follow-up notice.
    if (this.cards && out.kind === 'update' && isCardOutTrackId(out.responseCode)) return this.cards.update(out.responseCode, out.replaceName);
    if (!this.config.agentId) throw new DeliveryError('未配置 DINGTALK_AGENT_ID，无法发送工作通知', false);
    const msg =
      out.kind === 'card'
        ? {
            msgtype: 'action_card',
            action_card: {
              title: out.title.slice(0, 64),
              markdown:
                `### ${out.title}\n- 客户：${out.card.leadName}（${out.card.maskedPhone}）\n- 渠道：${out.card.channel}\n- 线索时长：${out.card.age}\n` +
                (out.scripts.length ? `\n${out.scripts.map((s, i) => `${i + 1}. ${s.text}`).join('\n')}` : ''),
              btn_orientation: '0',
              btn_json_list: out.buttons.map((b) => ({ title: b.text, action_url: b.url ?? out.openUrl })),
            },
          }
        : out.kind === 'digest'
          ? {
              msgtype: 'markdown',
              markdown: { title: out.title, text: `### ${out.title}\n${out.lines.map((l) => `- ${l}`).join('\n')}\n\n[打开查看](${out.openUrl})` },
            }
          : out.kind === 'script'
            ? { msgtype: 'text', text: { content: `请复制以下话术发给${out.leadName}：\n\n${out.text}\n\n在侧边栏打开：${out.link}` } }
            : { msgtype: 'text', text: { content: `提醒已处理：${out.replaceName}` } };
    try {
      const r = await this.api.oapi<{ task_id?: number }>('POST', '/topapi/message/corpconversation/asyncsend_v2', {
        agent_id: this.config.agentId,
        userid_list: to.dingtalkUserId,
        msg,
      });
      return { ref: r.task_id !== undefined ? String(r.task_id) : null };
    } catch (err) {
      if (err instanceof DingtalkError)
        throw new DeliveryError(`DingTalk ${err.code}: ${err.detail}`.slice(0, 250), err.transport || RETRY.has(err.code) || err.code.startsWith('HTTP 5'));
      throw platformDeliveryError(err);
    }
  }
}
