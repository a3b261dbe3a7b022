import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_CONFIG } from '../support/harness';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { withDingtalkNotices } from '../fakes/dingtalk-messages';
import { withDingtalkCards, type FakeCard } from '../fakes/dingtalk-cards';
import { AlarmEngine } from '../../server/src/alarms';
import { backoffMs } from '../../server/src/alarms/dispatcher';

const H = 3600_000;
const CORP = 'dingcorpfake01';
const TEMPLATE = 'tpl-lifeline-alarm.schema';

describeEachDb('DingTalk interactive alarm cards: createAndDeliver, HTTP card callback, every copy updated', (kind) => {
  const h = new Harness(kind, 10);
  const fake = new FakeDingtalk('dingfakeappkey01', 'fake-dt-secret-01');
  let dt: ReturnType<typeof withDingtalkNotices>;
  let dc: ReturnType<typeof withDingtalkCards>;
  let engine: AlarmEngine;
  let phone = 13500008800;

  beforeAll(async () => {
    await h.start();
    await fake.start();
    dt = withDingtalkNotices(fake);
    dc = withDingtalkCards(fake);
    h.app.config = {
      ...TEST_CONFIG,
      dingtalk: {
        appKey: fake.appKey,
        appSecret: fake.appSecret,
        apiBase: fake.base,
        corpId: CORP,
        agentId: 3001,
        cardTemplateId: TEMPLATE,
        robotCode: dc.robotCode,
      },
    };
    for (const [name, id] of [
      ['张敏', 'dt-zhangmin'],
      ['李静', 'dt-lijing'],
      ['黄蓉', 'dt-huangrong'],
    ]) {
      await h.ds.query(`UPDATE app_user SET dingtalkUserId = ? WHERE name = ?`, [id, name]);
    }
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
  });
  afterAll(async () => {
    await fake.stop();
    await h.stop();
  });

  const cardsOf = (leadName: string) => [...dc.cards.values()].filter((c) => c.params.leadName === leadName);
  const cardFor = (leadName: string, user: string) => cardsOf(leadName).find((c) => dc.userOf(c) === user)!;
  const callback = (body: unknown) =>
    fetch(`${h.base}/dingtalk/card-callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const tapBody = (card: FakeCard, userId: string, key: string | null, extra: Record<string, unknown> = {}) => ({
    outTrackId: card.outTrackId,
    corpId: CORP,
    userId,
    type: 'actionCallback',
    content: JSON.stringify({ cardPrivateData: { actionIds: ['alarm_button'], params: key === null ? {} : { key } } }),
    ...extra,
  });
  /** A lead by 张敏 that passes 48 h without a follow-up; returns its id. */
  async function overdueLead(name: string): Promise<number> {
    const r = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: String(phone++), channel: '百度-品牌词', name, grade: '初二', concerns: ['升学政策'] },
    });
    expect(r.body?.lead?.id, JSON.stringify(r.body)).toBeTruthy();
    h.clock.advance(48 * H + 1000);
    return r.body.lead.id;
  }
  const alarmOf = async (leadId: number) => (await h.ds.query(`SELECT id, handledBy, handledAt FROM alarm WHERE leadId = ?`, [leadId]))[0];

  it("rep, supervisor and head each get an interactive card (a 503 retried); the rep's card tap records the pick, delivers the script and updates every copy", async () => {
    const leadId = await overdueLead('何妈妈');
    fake.inject('POST', '/v1.0/card/instances/createAndDeliver', { status: 503, json: { code: 'ServiceUnavailable', message: '系统繁忙' } });
    await engine.tick();
    const alarm = await alarmOf(leadId);
    const retried = await h.ds.query(`SELECT attempts, lastError, state FROM alarm_message WHERE alarmId = ? AND kind = 'card' AND lastError IS NOT NULL`, [
      alarm.id,
    ]);
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ state: 'pending' });
    expect(retried[0].lastError).toContain('ServiceUnavailable');
    h.clock.advance(backoffMs(1));
    await engine.tick();

    const cards = cardsOf('何妈妈');
    expect(cards.map(dc.userOf).sort()).toEqual(['dt-huangrong', 'dt-lijing', 'dt-zhangmin']);
    for (const c of cards) {
      expect(c).toMatchObject({ cardTemplateId: TEMPLATE, callbackType: 'HTTP', robotCode: dc.robotCode, callbackRouteKey: 'lifeline-alarms' });
      expect(c.params).toMatchObject({ leadName: '何妈妈', channel: '百度-品牌词', handled: '' });
      expect(c.params.phone).toMatch(/^135\*{4}\d{4}$/);
      expect(c.params.rule).toBeTruthy();
      expect(c.params.age).toBeTruthy();
    }
    // No work-notice copy of the card went out; the callback URL was registered under the route key.
    expect(dt.notices.filter((n) => n.msg.msgtype === 'action_card')).toHaveLength(0);
    expect(dc.registrations.at(-1)).toMatchObject({
      callbackRouteKey: 'lifeline-alarms',
      callbackUrl: `${TEST_CONFIG.publicUrl.replace(/\/$/, '')}/dingtalk/card-callback`,
    });

    const rep = cardFor('何妈妈', 'dt-zhangmin');
    const n = Number(rep.params.buttonCount);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(4);
    expect(rep.params[`button${n}Text`]).toBe('已跟进');
    expect(rep.params.button1Key).toMatch(/^s\d+$/);
    const sup = cardFor('何妈妈', 'dt-lijing');
    expect(sup.params).toMatchObject({ buttonCount: '1', button1Text: '已知悉', button1Key: 'ack' });
    // Each copy's outTrackId is stored on its outbox row.
    const rows = await h.ds.query(`SELECT platformRef, state FROM alarm_message WHERE alarmId = ? AND kind = 'card'`, [alarm.id]);
    expect(rows.map((r: any) => r.platformRef).sort()).toEqual(cards.map((c) => c.outTrackId).sort());
    expect(rows.every((r: any) => r.state === 'sent')).toBe(true);

    // The rep taps the first script on the card (DingTalk may retry the callback: still one pick).
    for (let i = 0; i < 2; i++) expect((await callback(tapBody(rep, 'dt-zhangmin', rep.params.button1Key))).status).toBe(200);
    const zhang = await h.user('张敏');
    expect(await h.count('script_pick', 'leadId = ? AND repId = ?', [leadId, zhang.id])).toBe(1);
    expect(Number((await alarmOf(leadId)).handledBy)).toBe(zhang.id);
    await engine.tick();

    // The script text with its sidebar link reached the rep.
    expect(
      dt.notices.some(
        (x) =>
          x.userid_list === 'dt-zhangmin' && x.msg.msgtype === 'text' && x.msg.text.content.includes(`/sidebar/#/pages/index/index?leadId=${leadId}&pick=`),
      ),
    ).toBe(true);
    // Every copy (the supervisor's and the head's too) now shows who handled it and when; the rest is kept.
    for (const c of cardsOf('何妈妈')) {
      expect(c.params.handled).toMatch(/^张敏已处理 \d\d:\d\d$/);
      expect(c.params.leadName).toBe('何妈妈');
    }
    // In place, not as follow-up notices.
    expect(dt.notices.filter((x) => x.msg.msgtype === 'text' && x.msg.text.content.startsWith('提醒已处理'))).toHaveLength(0);
    const updates = await h.ds.query(`SELECT state FROM alarm_message WHERE alarmId = ? AND kind = 'update'`, [alarm.id]);
    expect(updates.map((u: any) => u.state)).toEqual(['sent', 'sent', 'sent']);
  });

  it('forged card callbacks (unknown or tampered outTrackId, wrong user, other corp, garbage) are refused and change nothing', async () => {
    const leadId = await overdueLead('林爸爸');
    await engine.tick();
    const rep = cardFor('林爸爸', 'dt-zhangmin');
    const sup = cardFor('林爸爸', 'dt-lijing');
    expect(rep && sup).toBeTruthy();
    const snapshot = async () => ({
      picks: await h.count('script_pick', 'leadId = ?', [leadId]),
      messages: await h.count('alarm_message'),
      audits: await h.count('audit_log'),
      acted: await h.count('alarm_message', `state = 'acted'`),
      alarm: await alarmOf(leadId),
      receipts: await h.count('callback_receipt'),
    });
    const before = await snapshot();
    const key = rep.params.button1Key;
    const [, id] = /^lfc(\d+)_/.exec(rep.outTrackId)!;
    const cases: [unknown, number][] = [
      [{ ...tapBody(rep, 'dt-zhangmin', key), outTrackId: 'lfc999999_AAAAAAAAAAAAAAAAAAAAAAAA' }, 404],
      [{ ...tapBody(rep, 'dt-zhangmin', key), outTrackId: `lfc${id}_BBBBBBBBBBBBBBBBBBBBBBBB` }, 404],
      [{ ...tapBody(rep, 'dt-zhangmin', key), outTrackId: `lfc${Number(id) + 1}_${rep.outTrackId.split('_')[1]}` }, 404],
      [{ ...tapBody(rep, 'dt-zhangmin', key), outTrackId: 42 }, 404],
      [tapBody(rep, 'dt-lijing', key), 403],
      [tapBody(sup, 'dt-zhangmin', 'ack'), 403],
      [{ ...tapBody(rep, 'dt-zhangmin', key), userId: undefined }, 403],
      [tapBody(rep, 'dt-zhangmin', key, { corpId: 'dingothercorp' }), 403],
      [tapBody(sup, 'dt-lijing', key), 403],
      [tapBody(rep, 'dt-zhangmin', 's999999'), 403],
      [tapBody(rep, 'dt-zhangmin', null), 403],
      [{ ...tapBody(rep, 'dt-zhangmin', key), content: '{}' }, 400],
      [{ ...tapBody(rep, 'dt-zhangmin', key), content: 'garbage' }, 400],
      ['{not json', 400],
      ['[]', 400],
      ['null', 400],
    ];
    for (const [body, status] of cases) expect({ body, status: (await callback(body)).status }).toEqual({ body, status });
    await engine.tick();
    expect(await snapshot()).toEqual(before);
    expect(rep.updates).toHaveLength(0);
    expect(sup.updates).toHaveLength(0);
    // The genuine tap still works afterwards (the supervisor acknowledging does not mark it handled).
    expect((await callback(tapBody(sup, 'dt-lijing', 'ack'))).status).toBe(200);
    expect((await alarmOf(leadId)).handledAt).toBeNull();
  });

  it('a retry after the platform already delivered the outTrackId (reply lost) counts as delivered, once', async () => {
    const leadId = await overdueLead('赵奶奶');
    dc.loseNextReply();
    await engine.tick();
    h.clock.advance(backoffMs(1));
    await engine.tick();
    const cards = cardsOf('赵奶奶');
    expect(cards.map(dc.userOf).sort()).toEqual(['dt-huangrong', 'dt-lijing', 'dt-zhangmin']);
    const alarm = await alarmOf(leadId);
    const rows = await h.ds.query(`SELECT platformRef, state, attempts FROM alarm_message WHERE alarmId = ? AND kind = 'card'`, [alarm.id]);
    expect(rows.every((r: any) => r.state === 'sent')).toBe(true);
    expect(rows.map((r: any) => r.platformRef).sort()).toEqual(cards.map((c) => c.outTrackId).sort());
    expect(rows.map((r: any) => Number(r.attempts)).sort()).toEqual([1, 1, 2]);
    // Three cards, four calls: the retried copy was asked for twice and delivered once.
    const calls = fake.calls('POST', '/v1.0/card/instances/createAndDeliver').filter((c) => c.body?.cardData?.cardParamMap?.leadName === '赵奶奶');
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => c.body.outTrackId)).size).toBe(3);
    // The copy whose reply was lost is tappable: its outTrackId was recorded.
    const retried = cards.find((c) => calls.filter((x) => x.body.outTrackId === c.outTrackId).length === 2)!;
    const user = dc.userOf(retried);
    const key = user === 'dt-zhangmin' ? 'done' : 'ack';
    expect((await callback(tapBody(retried, user, key))).status).toBe(200);
  });

  it('a failed callback registration holds the card back and is retried before it goes out', async () => {
    const fresh = new AlarmEngine(h.app, { leaseMs: 30_000 });
    const registered = dc.registrations.length;
    const leadId = await overdueLead('钱阿姨');
    fake.inject('POST', '/v1.0/card/callbacks/register', { status: 503, json: { code: 'ServiceUnavailable', message: '系统繁忙' } });
    await fresh.tick();
    const alarm = await alarmOf(leadId);
    const held = await h.ds.query(`SELECT state, lastError FROM alarm_message WHERE alarmId = ? AND kind = 'card' AND state = 'pending'`, [alarm.id]);
    // On MySQL copies go out in parallel and share the one failed registration; on SQLite the next copy re-registers.
    expect(held.length).toBeGreaterThanOrEqual(1);
    for (const m of held) expect(m.lastError).toContain('ServiceUnavailable');
    h.clock.advance(backoffMs(1));
    await fresh.tick();
    expect(cardsOf('钱阿姨').map(dc.userOf).sort()).toEqual(['dt-huangrong', 'dt-lijing', 'dt-zhangmin']);
    expect(dc.registrations.length).toBe(registered + 1);
  });

  it('a repeated identical callback is handled once (one receipt); a different button on the same card is its own tap', async () => {
    const leadId = await overdueLead('周外婆');
    await engine.tick();
    const sup = cardFor('周外婆', 'dt-lijing');
    const rep = cardFor('周外婆', 'dt-zhangmin');
    const receipts = () => h.count('callback_receipt', `platform = 'dingtalk.card'`);
    const before = await receipts();
    const audits = await h.count('audit_log');
    for (let i = 0; i < 3; i++) expect((await callback(tapBody(sup, 'dt-lijing', 'ack'))).status).toBe(200);
    expect(await receipts()).toBe(before + 1);
    expect(await h.count('audit_log')).toBe(audits);
    for (let i = 0; i < 2; i++) expect((await callback(tapBody(rep, 'dt-zhangmin', 'done'))).status).toBe(200);
    expect(await receipts()).toBe(before + 2);
    expect(Number((await alarmOf(leadId)).handledBy)).toBe((await h.user('张敏')).id);
  });

  it('a card older than ALARM_TAP_LINK_TTL_HOURS refuses taps with a clear answer and records nothing; inside it, taps work', async () => {
    const saved = h.app.config;
    h.app.config = { ...saved, tapLinkTtlMs: 6 * H };
    try {
      const leadId = await overdueLead('吴舅舅');
      await engine.tick();
      const rep = cardFor('吴舅舅', 'dt-zhangmin');
      const sup = cardFor('吴舅舅', 'dt-lijing');
      h.clock.advance(6 * H - 60_000);
      expect((await callback(tapBody(sup, 'dt-lijing', 'ack'))).status).toBe(200);
      h.clock.advance(2 * 60_000);
      const snapshot = async () => ({
        picks: await h.count('script_pick', 'leadId = ?', [leadId]),
        messages: await h.count('alarm_message'),
        audits: await h.count('audit_log'),
        acted: await h.count('alarm_message', `state = 'acted'`),
        receipts: await h.count('callback_receipt'),
        alarm: await alarmOf(leadId),
      });
      const before = await snapshot();
      for (const key of [rep.params.button1Key, 'done']) {
        const res = await callback(tapBody(rep, 'dt-zhangmin', key));
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect({ status: res.status, code: body.error.code }).toEqual({ status: 403, code: 'card_expired' });
        expect(body.error.message).toMatch(/已超过 6 小时.*已失效.*未做任何记录/);
      }
      await engine.tick();
      expect(await snapshot()).toEqual(before);
      expect(before.alarm.handledAt).toBeNull();
      expect(rep.updates).toHaveLength(0);
    } finally {
      h.app.config = saved;
    }
  });

  it('without the card settings the card callback does not exist (alarms stay work notices)', async () => {
    const saved = h.app.config;
    const card = [...dc.cards.values()][0];
    try {
      h.app.config = { ...saved, dingtalk: { ...saved.dingtalk!, cardTemplateId: undefined, robotCode: undefined } };
      const picks = await h.count('script_pick');
      expect((await callback(tapBody(card, dc.userOf(card), 'done'))).status).toBe(404);
      expect(await h.count('script_pick')).toBe(picks);
    } finally {
      h.app.config = saved;
    }
  });
});
