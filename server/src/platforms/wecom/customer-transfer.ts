import type { CustomerTransferClient, TransferAnswer, TransferStatus } from '../../users/customer-transfers';
import { WecomApi, WecomError } from './wecom-api';

/** At most this many external contacts per transfer call (platform-2.md §3; the brief's "50" is wrong). */
export const TRANSFER_BATCH = 100;

interface CustomerReply {
  customer?: { external_userid: string; errcode?: number }[];
}

/**
 * WeCom customer inheritance (离职继承 / 在职继承) over the API of the app listed under 客户联系 → 可调用接口的应用.
 * Errors are WecomError (errcode, retryable for transport failures): the transfer worker decides what to retry.
 */
export class WecomCustomerTransfers implements CustomerTransferClient {
  constructor(private readonly api: WecomApi) {}

  async listCustomers(userId: string): Promise<string[]> {
    try {
      const r = await this.api.get<{ external_userid?: string[] }>('/cgi-bin/externalcontact/list', { userid: userId });
      return r.external_userid ?? [];
    } catch (err) {
      if (err instanceof WecomError && err.errcode === 84061) return []; // "not external contact": the member has none
      throw err;
    }
  }

  async listUnassigned(cursor: string | null) {
    const r = await this.api.post<{ info?: { handover_userid: string; external_userid: string }[]; is_last?: boolean; next_cursor?: string }>(
      '/cgi-bin/externalcontact/get_unassigned_list',
      { cursor: cursor ?? '', page_size: 1000 },
    );
    const items = (r.info ?? []).map((i) => ({ handoverUserId: i.handover_userid, externalUserId: i.external_userid }));
    return { items, nextCursor: r.is_last || !r.next_cursor ? null : r.next_cursor };
  }

  transferResigned(handoverUserId: string, takeoverUserId: string, externalUserIds: string[]): Promise<TransferAnswer[]> {
    return this.transfer(
      '/cgi-bin/externalcontact/resigned/transfer_customer',
      { handover_userid: handoverUserId, takeover_userid: takeoverUserId },
      externalUserIds,
    );
  }

  transferOnJob(handoverUserId: string, takeoverUserId: string, externalUserIds: string[], message?: string): Promise<TransferAnswer[]> {
    const body: Record<string, unknown> = { handover_userid: handoverUserId, takeover_userid: takeoverUserId };
    if (message) body.transfer_success_msg = message.slice(0, 200);
    return this.transfer('/cgi-bin/externalcontact/transfer_customer', body, externalUserIds);
  }

  async transferResult(kind: 'resigned' | 'on_job', handoverUserId: string, takeoverUserId: string, cursor: string | null) {
    const path = kind === 'resigned' ? '/cgi-bin/externalcontact/resigned/transfer_result' : '/cgi-bin/externalcontact/transfer_result';
    const r = await this.api.post<{ customer?: { external_userid: string; status: number; takeover_time?: number }[]; next_cursor?: string }>(path, {
      handover_userid: handoverUserId,
      takeover_userid: takeoverUserId,
      cursor: cursor ?? '',
    });
    const items: TransferStatus[] = (r.customer ?? []).map((c) => ({
      externalUserId: c.external_userid,
      status: ([1, 2, 3, 4, 5].includes(c.status) ? c.status : 5) as TransferStatus['status'],
      takeoverTime: c.takeover_time ? c.takeover_time * 1000 : null,
    }));
    return { items, nextCursor: r.next_cursor || null };
  }

  private async transfer(path: string, body: Record<string, unknown>, ids: string[]): Promise<TransferAnswer[]> {
    if (ids.length > TRANSFER_BATCH) throw new Error(`一次最多转接 ${TRANSFER_BATCH} 位客户（收到 ${ids.length} 位）`);
    const r = await this.api.post<CustomerReply>(path, { ...body, external_userid: ids });
    const answered = new Map((r.customer ?? []).map((c) => [c.external_userid, Number(c.errcode ?? 0)]));
    return ids.map((id) => ({ externalUserId: id, errcode: answered.get(id) ?? 0 }));
  }
}
