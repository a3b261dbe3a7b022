import { FakeDingtalk } from './dingtalk-server';

/** Adds DingTalk's work-notice endpoint (工作通知 asyncsend_v2) to the fake; every accepted notice is recorded. */
export function withDingtalkNotices(fake: FakeDingtalk) {
  const notices: any[] = [];
  let n = 0;
  fake.route(
    'POST',
    '/topapi/message/corpconversation/asyncsend_v2',
    fake.oapiAuthed((req) => {
      const b = req.body;
      if (!b?.agent_id || !b?.userid_list || !b?.msg?.msgtype) return { errcode: 40035, errmsg: '缺少参数' };
      notices.push(b);
      return { errcode: 0, errmsg: 'ok', task_id: ++n, request_id: `r${n}` };
    }),
  );
  return { notices };
}
