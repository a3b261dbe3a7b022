import type { CustomerTransferClient, TransferAnswer, TransferStatus } from '../../server/src/users/customer-transfers';

/**
 * An in-memory WeCom customer-inheritance client (platform-2.md §3), injected through `app.platformOverrides.transfers`:
 * contacts per member, every call recorded, per-contact errcodes and results set by the test, and failures to throw.
 */
export class FakeTransfers implements CustomerTransferClient {
  /** External contacts each active member follows (在职). */
  readonly customers = new Map<string, string[]>();
  /** Contacts of members who left (离职), in get_unassigned_list order. */
  unassigned: { handoverUserId: string; externalUserId: string }[] = [];
  /** Every transfer call: kind, handover, takeover, ids. */
  readonly calls: { kind: 'resigned' | 'on_job'; from: string; to: string; ids: string[] }[] = [];
  /** Per-contact errcode answers (default 0). */
  readonly errcodes = new Map<string, number>();
  /** transfer_result statuses by external id (default 2, waiting). */
  readonly results = new Map<string, TransferStatus['status']>();
  /** Errors the next transfer calls throw, in order (one per call). */
  readonly failNext: Error[] = [];
  /** Page size of get_unassigned_list and transfer_result (small, so the worker's paging is exercised). */
  pageSize = 100;

  async listCustomers(userId: string): Promise<string[]> {
    return [...(this.customers.get(userId) ?? [])];
  }

  async listUnassigned(cursor: string | null) {
    const from = cursor ? Number(cursor) : 0;
    const items = this.unassigned.slice(from, from + this.pageSize);
    const next = from + this.pageSize < this.unassigned.length ? String(from + this.pageSize) : null;
    return { items, nextCursor: next };
  }

  transferResigned(handoverUserId: string, takeoverUserId: string, ids: string[]): Promise<TransferAnswer[]> {
    return this.transfer('resigned', handoverUserId, takeoverUserId, ids);
  }

  transferOnJob(handoverUserId: string, takeoverUserId: string, ids: string[]): Promise<TransferAnswer[]> {
    return this.transfer('on_job', handoverUserId, takeoverUserId, ids);
  }

  private async transfer(kind: 'resigned' | 'on_job', from: string, to: string, ids: string[]): Promise<TransferAnswer[]> {
    if (ids.length > 100) throw Object.assign(new Error('external_userid 超过 100 个'), { errcode: 40058, retryable: false });
    this.calls.push({ kind, from, to, ids: [...ids] });
    const fail = this.failNext.shift();
    if (fail) throw fail;
    return ids.map((externalUserId) => ({ externalUserId, errcode: this.errcodes.get(externalUserId) ?? 0 }));
  }

  /** Results of every contact ever sent for this (kind, handover, takeover), paged. */
  async transferResult(kind: 'resigned' | 'on_job', handoverUserId: string, takeoverUserId: string, cursor: string | null) {
    const sent = [
      ...new Set(
        this.calls
          .filter((c) => c.kind === kind && c.from === handoverUserId && c.to === takeoverUserId)
          .flatMap((c) => c.ids.filter((id) => (this.errcodes.get(id) ?? 0) === 0)),
      ),
    ];
    const from = cursor ? Number(cursor) : 0;
    const items = sent
      .slice(from, from + this.pageSize)
      .map((externalUserId) => ({ externalUserId, status: this.results.get(externalUserId) ?? 2, takeoverTime: null }));
    return { items, nextCursor: from + this.pageSize < sent.length ? String(from + this.pageSize) : null };
  }
}

/** A transient failure as an adapter would raise it (system busy). */
export const busy = () => Object.assign(new Error('system busy'), { errcode: -1 });
