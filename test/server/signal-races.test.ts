import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness';
import { holdAndRace } from '../support/interleave';
import { ChatSidecarFake } from '../fakes/chat-sidecar';
import { linkChatContact } from '../../server/src/signals/contacts';

/**
 * Intent signals under interleaved transactions (forced, as in races.test.ts): a chat post is held before its COMMIT,
 * another runs against it. MariaDB/MySQL only; SQLite runs one transaction at a time.
 */
describe.skipIf(!process.env.TEST_MYSQL_URL)('intent signals: concurrent chat posts for one lead [mysql]', () => {
  const h = new Harness('mysql', 0);
  let sidecar: ChatSidecarFake;
  let leadId = 0;

  beforeAll(async () => {
    await h.start();
    const src = await h.req('POST', '/api/event-sources', { as: '系统管理员', body: { code: 'chat-race', name: '会话存档', kind: 'chat_archive' } });
    sidecar = new ChatSidecarFake(h.base, 'chat-race', src.body.secret, () => h.clock.now());
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone: '13915446001', grade: '高三', channel: '公众号-推文' } });
    leadId = r.body.lead.id;
    await linkChatContact(h.app, (await h.user('张敏')).companyId, 'wmRace', ['13915446001']);
    await sidecar.post([sidecar.consent('wmRace', 'zhangmin', true)]);
  }, 120_000);
  afterAll(() => h.stop(), 60_000);

  const score = async () => Number((await h.ds.query('SELECT score FROM `lead` WHERE id = ?', [leadId]))[0].score);

  it('two signals stored at once both count: the second waits for the lead and reads the first', async () => {
    const before = await score();
    const [a, b] = await holdAndRace(
      h,
      'tx:chat.messages:beforeCommit',
      () => sidecar.post([sidecar.text('wmRace', 'zhangmin', '学费多少钱？')]),
      () => sidecar.post([sidecar.text('wmRace', 'zhangmin', '能先试听一节吗')]),
    );
    expect([a.body.signals, b.body.signals]).toEqual([1, 1]);
    expect(await score()).toBe(before + 15 + 25);
    const lead = await h.req('GET', `/api/leads/${leadId}`, { as: '张敏' });
    expect(lead.body.scoreExplained).toContain('询问价格 +15');
    expect(lead.body.scoreExplained).toContain('要求试听/演示 +25');
  });

  it('the same message posted twice at once is stored and counted once', async () => {
    const before = await score();
    const signals = await h.count('lead_signal');
    const msg = sidecar.text('wmRace', 'zhangmin', '你们和新东方比怎么样');
    const [a, b] = await holdAndRace(
      h,
      'tx:chat.messages:beforeCommit',
      () => sidecar.post([msg]),
      () => sidecar.post([msg]),
    );
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.used + b.body.used, a.body.duplicate + b.body.duplicate]).toEqual([1, 1]);
    expect(await h.count('chat_message', 'msgId = ?', [msg.msgId])).toBe(1);
    expect(await h.count('lead_signal')).toBe(signals + 1);
    expect(await score()).toBe(before + 10);
  });
});
