import { FakeWecom } from './wecom-server';

/**
 * Adds WeCom's app-message endpoints to the fake: message/send (template_card task_id unique per app →
 * 42014 on reuse; a button_interaction card returns a single-use response_code) and
 * message/update_template_card (the code must be one we issued and unused).
 */
export function withWecomMessages(fake: FakeWecom) {
  const taskIds = new Set<string>();
  const codes = new Set<string>();
  const delivered: any[] = [];
  const updates: any[] = [];
  let n = 0;
  fake.route(
    'POST',
    '/cgi-bin/message/send',
    fake.authed((req) => {
      const b = req.body;
      if (b?.agentid === undefined || !b?.touser || !b?.msgtype) return { errcode: 40008, errmsg: 'invalid message' };
      if (b.msgtype === 'template_card') {
        const tid = b.template_card?.task_id;
        if (!tid || taskIds.has(tid)) return { errcode: 42014, errmsg: 'taskid has existed or empty or exceed max len' };
        taskIds.add(tid);
        const code = `rc_${++n}`;
        codes.add(code);
        delivered.push(b);
        return { errcode: 0, errmsg: 'ok', msgid: `m${n}`, response_code: code };
      }
      delivered.push(b);
      return { errcode: 0, errmsg: 'ok', msgid: `m${++n}` };
    }),
  );
  fake.route(
    'POST',
    '/cgi-bin/message/update_template_card',
    fake.authed((req) => {
      const code = req.body?.response_code;
      if (!codes.has(code)) return { errcode: 40001, errmsg: 'invalid response_code' };
      codes.delete(code);
      updates.push(req.body);
      return { errcode: 0, errmsg: 'ok' };
    }),
  );
  return {
    delivered,
    updates,
    /** A tap's own single-use response code, as WeCom puts it in the template_card_event. */
    issueCode: () => {
      const code = `tap_${++n}`;
      codes.add(code);
      return code;
    },
  };
}
