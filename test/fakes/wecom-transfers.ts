import type { FakeWecom } from './wecom-server';

/** What the fake's customer-inheritance endpoints hold: contacts per member, leavers' contacts, results. */
export interface TransferState {
  customers: Map<string, string[]>;
  unassigned: { handover_userid: string; external_userid: string }[];
  /** transfer_result status per external id (default 2: waiting). */
  results: Map<string, number>;
  /** Every transfer call's body. */
  sent: { path: string; body: any }[];
}

export function transferState(): TransferState {
  return { customers: new Map(), unassigned: [], results: new Map(), sent: [] };
}

/**
 * WeCom 客户联系 customer inheritance on the fake (platform-2.md §3): externalcontact/list (84061 for none),
 * get_unassigned_list (cursor, page_size ≤ 1000), resigned/transfer_customer and transfer_customer (≤ 100 ids, else
 * 40058), and both transfer_result calls (cursor paging).
 */
export function withWecomTransfers(fake: FakeWecom, state: TransferState, pageSize = 1000) {
  fake.route(
    'GET',
    '/cgi-bin/externalcontact/list',
    fake.authed((req) => {
      const ids = state.customers.get(req.query.userid ?? '') ?? [];
      return ids.length ? { errcode: 0, errmsg: 'ok', external_userid: ids } : { errcode: 84061, errmsg: 'not external contact' };
    }),
  );
  fake.route(
    'POST',
    '/cgi-bin/externalcontact/get_unassigned_list',
    fake.authed((req) => {
      const size = Math.min(Number(req.body?.page_size ?? 1000), pageSize);
      const from = Number(req.body?.cursor || 0);
      const info = state.unassigned.slice(from, from + size).map((i) => ({ ...i, dimission_time: 1_700_000_000 }));
      const last = from + size >= state.unassigned.length;
      return { errcode: 0, errmsg: 'ok', info, is_last: last, next_cursor: last ? '' : String(from + size) };
    }),
  );
  for (const path of ['/cgi-bin/externalcontact/resigned/transfer_customer', '/cgi-bin/externalcontact/transfer_customer']) {
    fake.route(
      'POST',
      path,
      fake.authed((req) => {
        const ids: string[] = req.body?.external_userid ?? [];
        if (!req.body?.handover_userid || !req.body?.takeover_userid || !ids.length) return { errcode: 40058, errmsg: 'invalid parameter' };
        if (ids.length > 100) return { errcode: 40058, errmsg: 'external_userid exceed 100' };
        state.sent.push({ path, body: req.body });
        return { errcode: 0, errmsg: 'ok', customer: ids.map((id) => ({ external_userid: id, errcode: 0 })) };
      }),
    );
  }
  for (const path of ['/cgi-bin/externalcontact/resigned/transfer_result', '/cgi-bin/externalcontact/transfer_result']) {
    fake.route(
      'POST',
      path,
      fake.authed((req) => {
        const transfer = path.replace('transfer_result', 'transfer_customer');
        const ids = state.sent
          .filter((s) => s.path === transfer && s.body.handover_userid === req.body?.handover_userid && s.body.takeover_userid === req.body?.takeover_userid)
          .flatMap((s) => s.body.external_userid as string[]);
        const from = Number(req.body?.cursor || 0);
        const page = [...new Set(ids)].slice(from, from + pageSize);
        const more = from + pageSize < new Set(ids).size;
        return {
          errcode: 0,
          errmsg: 'ok',
          customer: page.map((id) => ({ external_userid: id, status: state.results.get(id) ?? 2, takeover_time: 1_700_086_400 })),
          next_cursor: more ? String(from + pageSize) : '',
        };
      }),
    );
  }
}
