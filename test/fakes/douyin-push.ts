import { createHmac, randomUUID } from 'node:crypto';

/**
 * Plays the 巨量引擎 / Douyin side of a lead push: builds a clue the way the platform shapes it, signs
 * `${timestamp}\n${body}` with HMAC-SHA256 and POSTs it over real HTTP to the webhook URL. Written
 * independently of the server's code so a signing mismatch would show up as a failing test.
 */
export interface DouyinClue {
  clue_id: string;
  telephone: string;
  name?: string;
  province_name?: string;
  city_name?: string;
  location?: string;
  ad_name?: string;
  adv_id?: string;
  create_time_detail?: string;
  remark_dict?: Record<string, string>;
}

export function douyinClue(over: Partial<DouyinClue> = {}): DouyinClue {
  return {
    clue_id: `7${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    telephone: '13915440000',
    name: '抖音用户',
    adv_id: '1790000000000001',
    ad_name: '202601直播-中考冲刺',
    create_time_detail: '2026-01-15 09:58:12',
    remark_dict: {},
    ...over,
  };
}

export class DouyinPushFake {
  constructor(
    private readonly secret: string,
    private readonly now: () => number,
  ) {}

  sign(timestamp: string, body: string): string {
    return createHmac('sha256', this.secret).update(`${timestamp}\n${body}`).digest('hex');
  }

  async push(url: string, clue: DouyinClue, opts: { signature?: string; timestamp?: string; body?: string } = {}) {
    const body = opts.body ?? JSON.stringify(clue);
    const timestamp = opts.timestamp ?? String(Math.floor(this.now() / 1000));
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-douyin-timestamp': timestamp,
        'x-douyin-signature': opts.signature ?? this.sign(timestamp, body),
        'x-request-id': randomUUID(),
      },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }
}
