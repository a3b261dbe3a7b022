import { createHmac, randomUUID } from 'node:crypto';

/**
 * Plays 巨量引擎's SPI subscription push as reference platform-2.md §5 documents it: an envelope whose `data` is a
 * JSON string, signed as lowercase hex HMAC-SHA256 of the raw body bytes in `X-Open-Signature`. Written from the
 * reference, independently of the server's verifier, so a mismatch shows as a failing test.
 */
export const SPI_SECRET = 'test_app_secret_0123456789abcdef';

/** The reference's worked example (§5.4): this exact body, signed with SPI_SECRET, gives SPI_EXAMPLE_SIGNATURE. */
export const SPI_EXAMPLE_BODY =
  '{"message_id":"2b1c9c1e-8a4f-4c1b-9f0e-3d2a1b0c9d8e","subscribe_task_id":1790000000000009,"advertiser_ids":[1780000000000001],"service_label":"<clue-label-from-subscription>","publish_time":1710469269000,"timestamp":1710469270123,"nonce":583920,"data":"{\\"clue_id\\":\\"7301234567890123456\\",\\"advertiser_id\\":1780000000000001,\\"ad_id\\":1790000000000002,\\"promotion_id\\":7300000000000003,\\"promotion_name\\":\\"装修表单-春季\\",\\"name\\":\\"张三\\",\\"telephone\\":\\"13800138000\\",\\"province_name\\":\\"广东\\",\\"city_name\\":\\"深圳\\",\\"clue_type\\":0,\\"form_remark\\":\\"装修报价\\",\\"remark_dict\\":{\\"户型\\":\\"三居\\",\\"预算\\":\\"10-20万\\"},\\"create_time_detail\\":\\"2024-03-15 10:21:09\\"}"}';
export const SPI_EXAMPLE_SIGNATURE = '34910abcaf95ed66bbfbed4e54592f3cd99e6cc23b7e01f51accc616c68dc16f';
/** When the example was sent (its envelope `timestamp`). */
export const SPI_EXAMPLE_SENT_AT = 1710469270123;

export function spiSign(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('hex');
}

/**
 * An envelope around a clue. `dataJson` lets a test put ids into the data string as bare numbers beyond 2^53, which
 * JSON.stringify of a JS number cannot.
 */
export function spiEnvelope(clue: Record<string, unknown>, over: { messageId?: string; label?: string; timestamp?: number; dataJson?: string } = {}): string {
  const data = over.dataJson ?? JSON.stringify(clue);
  return (
    `{"message_id":${JSON.stringify(over.messageId ?? randomUUID())},"subscribe_task_id":1790000000000009,"advertiser_ids":[1780000000000001],` +
    `"service_label":${JSON.stringify(over.label ?? 'clue.form')},"publish_time":${(over.timestamp ?? Date.now()) - 1000},` +
    `"timestamp":${over.timestamp ?? Date.now()},"nonce":${Math.floor(Math.random() * 1e6)},"data":${JSON.stringify(data)}}`
  );
}

export async function spiPush(url: string, body: string, opts: { secret?: string; signature?: string | null } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = opts.signature === undefined ? spiSign(opts.secret ?? SPI_SECRET, body) : opts.signature;
  if (signature !== null) headers['x-open-signature'] = signature;
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null, headers: res.headers };
}
