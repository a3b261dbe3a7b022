import { createHmac } from 'node:crypto';

/** A message as the sidecar reduces the WeCom archive's decrypted JSON (msgid, from, tolist, roomid, msgtime, text.content). */
export interface SidecarMessage {
  msgId: string;
  from: string;
  to: string[];
  roomId?: string;
  time: number;
  type: 'text' | 'voice' | 'agree' | 'disagree';
  text?: string;
}

/**
 * The company's chat-archive sidecar (platform-2.md §6.4: a Linux process around the closed finance SDK pulls and
 * decrypts, then posts rows to the CRM). Faked at its output, as the reference advises: batches of messages posted to
 * `/api/chat-messages`, named by `X-Lifeline-Source`, signed as docs/signals.md tells an integrator
 * (hex HMAC-SHA256 of `${timestamp}.${raw body}` with the source's secret). Written from the document.
 */
export class ChatSidecarFake {
  private seq = 0;

  constructor(
    private readonly base: string,
    private readonly code: string,
    private readonly secret: string,
    private readonly now: () => number,
  ) {}

  /** A text message as the archive would decrypt it, with a fresh msgid. */
  text(from: string, to: string, content: string, time = this.now()): SidecarMessage {
    return { msgId: `msg${++this.seq}_${time}`, from, to: [to], time, type: 'text', text: content };
  }

  consent(customer: string, member: string, agree: boolean, time = this.now()): SidecarMessage {
    return { msgId: `agree${++this.seq}_${time}`, from: customer, to: [member], time, type: agree ? 'agree' : 'disagree' };
  }

  async post(messages: SidecarMessage[], opts: { body?: string; secret?: string; code?: string } = {}) {
    const body = opts.body ?? JSON.stringify({ messages });
    const timestamp = String(Math.floor(this.now() / 1000));
    const signature = createHmac('sha256', opts.secret ?? this.secret)
      .update(`${timestamp}.${body}`, 'utf8')
      .digest('hex');
    const res = await fetch(`${this.base}/api/chat-messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-lifeline-source': opts.code ?? this.code,
        'x-lifeline-timestamp': timestamp,
        'x-lifeline-signature': signature,
      },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
}
