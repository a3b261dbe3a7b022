import type { AppContext } from '../context';
import type { Company } from '../companies/company.entity';
import { WecomApi } from '../platforms/wecom/wecom-api';
import { WecomCustomerTransfers } from '../platforms/wecom/customer-transfer';

/** One external contact's answer to a transfer call (`errcode` 0 = accepted; the move itself completes later). */
export interface TransferAnswer {
  externalUserId: string;
  errcode: number;
}

/** WeCom `transfer_result` status: 1 done, 2 waiting for the customer (在职 only), 3 refused, 4 takeover full, 5 none yet. */
export interface TransferStatus {
  externalUserId: string;
  status: 1 | 2 | 3 | 4 | 5;
  takeoverTime: number | null;
}

/**
 * WeCom customer inheritance (企业微信 客户联系 → 离职继承 / 在职继承), see ../shared/reference/platform-2.md §3.
 * At most 100 external contacts per call; results are polled, paged by cursor.
 */
export interface CustomerTransferClient {
  /** External contacts a member follows (`externalcontact/list`), for an active member. */
  listCustomers(userId: string): Promise<string[]>;
  /** Contacts of members who left (`externalcontact/get_unassigned_list`), paged. */
  listUnassigned(cursor: string | null): Promise<{ items: { handoverUserId: string; externalUserId: string }[]; nextCursor: string | null }>;
  /** 离职继承 `externalcontact/resigned/transfer_customer`. */
  transferResigned(handoverUserId: string, takeoverUserId: string, externalUserIds: string[]): Promise<TransferAnswer[]>;
  /** 在职继承 `externalcontact/transfer_customer`. */
  transferOnJob(handoverUserId: string, takeoverUserId: string, externalUserIds: string[], message?: string): Promise<TransferAnswer[]>;
  /** `externalcontact/resigned/transfer_result` or `externalcontact/transfer_result`, paged. */
  transferResult(
    kind: 'resigned' | 'on_job',
    handoverUserId: string,
    takeoverUserId: string,
    cursor: string | null,
  ): Promise<{ items: TransferStatus[]; nextCursor: string | null }>;
}

/** The WeCom transfer client for a company whose corp is the server's WeCom app (company.wecomCorpId = WECOM_CORP_ID), else null. */
export function customerTransfersFor(app: AppContext, company: Company): CustomerTransferClient | null {
  const wecom = app.config.wecom;
  if (!wecom || !company.wecomCorpId || company.wecomCorpId !== wecom.corpId) return null;
  return new WecomCustomerTransfers(new WecomApi(wecom, app.clock));
}
