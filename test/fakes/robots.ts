import { createHmac } from 'node:crypto';
import type { FakeWecom } from './wecom-server';
import type { FakeDingtalk } from './dingtalk-server';

/** WeCom group robot webhook: `POST /cgi-bin/webhook/send?key=` (the key is the credential), text/markdown. */
export function withWecomRobot(fake: FakeWecom, key: string) {
  const posts: any[] = [];
  fake.route('POST', '/cgi-bin/webhook/send', (req) => {
    if (req.query.key !== key) return { json: { errcode: 93000, errmsg: 'invalid webhook url' } };
    if (!['text', 'markdown'].includes(req.body?.msgtype)) return { json: { errcode: 40008, errmsg: 'invalid message type' } };
    if (Buffer.byteLength(req.body.markdown?.content ?? req.body.text?.content ?? '') > 4096)
      return { json: { errcode: 40058, errmsg: 'content exceed max length' } };
    posts.push(req.body);
    return { json: { errcode: 0, errmsg: 'ok' } };
  });
  return { posts };
}

/** DingTalk custom robot: `POST /robot/send?access_token=&timestamp=&sign=` with 加签 checked (within 1 h). */
export function withDingtalkRobot(fake: FakeDingtalk, accessToken: string, secret: string) {
  const posts: any[] = [];
  fake.route('POST', '/robot/send', (req) => {
    if (req.query.access_token !== accessToken) return { json: { errcode: 300001, errmsg: 'token is not exist' } };
    const t = Number(req.query.timestamp);
    const want = createHmac('sha256', secret).update(`${t}\n${secret}`).digest('base64');
    // req.query is already URL-decoded once, as DingTalk's server decodes it.
    if (!t || req.query.sign !== want) return { json: { errcode: 310000, errmsg: 'sign not match' } };
    posts.push(req.body);
    return { json: { errcode: 0, errmsg: 'ok' } };
  });
  return { posts };
}
