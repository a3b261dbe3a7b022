import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_CONFIG } from '../support/harness';
import { FakeWecom } from '../fakes/wecom-server';
import { withWecomMessages } from '../fakes/wecom-messages';
import { WecomApi } from '../../server/src/platforms/wecom/wecom-api';
import { WecomChannel } from '../../server/src/platforms/wecom/messages';
import { Dispatcher, type DispatchPauses } from '../../server/src/alarms/dispatcher';
import { claimDue } from '../../server/src/alarms/lease';
import { leaseName } from '../../server/src/db/lease-name';
import { fireTimers } from '../../server/src/alarms/fire';
import { TickCache } from '../../server/src/alarms/tick-cache';
import type { ChannelKind } from '../../server/src/alarms/alarm.entities';
import type { User } from '../../server/src/users/user.entity';
import { AlreadyDelivered, type AlarmChannel, type Outgoing } from '../../server/src/channels/port';

const H = 3600_000;
const LEASE = 5_000;
/** Past any lease the stalled process held, including a send's fence. */
const STALL = 60_000;
const LEADS = 4;

/**
 * A channel that records what reached the "platform". Each delivery is keyed per card copy: a card by
 * recipient and lead, a digest by recipient and each lead it lists. With `dedupe` it refuses a repeat of
 * a copy it already has, as WeCom does for a template_card task_id (42014) and DingTalk for an outTrackId.
 */
class RecordingChannel implements AlarmChannel {
  readonly delivered: string[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly dedupe: boolean) {}

  async send(to: User | null, out: Outgoing): Promise<{ ref: string | null }> {
    const copies =
      out.kind === 'card'
        ? [`${to!.id}:${out.card.leadName}`]
        : out.kind === 'digest'
          ? out.lines.map((l) => `${to!.id}:${l.split('（')[0]}`)
          : [`${to!.id}:${out.kind}`];
    const key = out.kind === 'card' ? out.taskId : copies.join('|');
    if (this.dedupe && this.seen.has(key)) throw new AlreadyDelivered();
    this.seen.add(key);
    this.delivered.push(...copies);
    return { ref: `ref-${this.delivered.length}` };
  }
}

/**
 * A freeze at a named point: the first dispatch to reach it stops there, and so does every later one in
 * the same process (a SIGSTOP freezes all of it), until `resume`.
 */
function freezeAt(point: keyof DispatchPauses) {
  let resume!: () => void;
  const resumed = new Promise<void>((r) => (resume = r));
  let reached!: () => void;
  const frozen = new Promise<void>((r) => (reached = r));
  const hook = async () => {
    reached();
    await resumed;
  };
  return { pauses: { [point]: hook } as DispatchPauses, frozen, resume };
}

/**
 * Item 1 of issue 14: a process frozen past its lease at any point of a dispatch, then resumed, must not
 * deliver anything twice nor leave anything pending. Process A is held at a named point while the clock
 * moves past every lease it holds and process B dispatches; then A resumes and both drain the outbox.
 */
describeEachDb('alarm delivery exactly once across a stall longer than the lease', (kind) => {
  const h = new Harness(kind, 10);
  beforeAll(async () => {
    await h.start();
  });
  afterAll(() => h.stop());

  /** LEADS new leads of 张敏 past 48 h without follow-up, their alarms raised: 3 copies each (rep, supervisor, ops head). */
  async function raise(digestAbove: number) {
    const [company] = await h.ds.query(`SELECT id FROM company LIMIT 1`);
    await h.ds.query(`UPDATE company SET settings = ? WHERE id = ?`, [
      JSON.stringify({ alarms: { digestAbove, quietStart: '00:00', quietEnd: '00:00' } }),
      company.id,
    ]);
    const leadIds = await overdueLeads(h, '停顿', '1390000');
    const copies: { id: number; recipientId: number; leadName: string }[] = (
      await h.ds.query(
        `SELECT m.id, m.recipientId, c.name AS leadName FROM alarm_message m JOIN alarm a ON a.id = m.alarmId JOIN \`lead\` l ON l.id = a.leadId
        JOIN customer c ON c.id = l.customerId WHERE a.leadId IN (${leadIds.join(',')}) AND m.kind = 'card'`,
      )
    ).map((r: any) => ({ ...r, recipientId: Number(r.recipientId) }));
    expect(copies.length).toBe(LEADS * 3);
    return copies;
  }

  /**
   * A runs until it freezes at `point`; the clock passes its leases; B dispatches; A resumes; then both
   * keep dispatching (time moving on for retries) until nothing is pending. Returns what reached the channel.
   */
  async function stall(point: keyof DispatchPauses, opts: { digestAbove: number; dedupe: boolean }) {
    const copies = await raise(opts.digestAbove);
    const channel = new RecordingChannel(opts.dedupe);
    const freeze = freezeAt(point);
    const a = new Dispatcher(h.app, channels(channel), LEASE, 8, { pauses: freeze.pauses });
    const b = new Dispatcher(h.app, channels(channel), LEASE, 8);
    let aFailed: unknown = null;
    const aRun = a.run().catch((err) => (aFailed = err));
    await freeze.frozen;
    h.clock.advance(STALL);
    const bStats = await b.run();
    freeze.resume();
    const aStats = await aRun;
    for (let i = 0; i < 10 && (await pending(copies)) > 0; i++) {
      h.clock.advance(20 * 60_000);
      await b.run();
      await a.run();
    }
    return { copies, channel, aStats, bStats, aFailed };
  }

  const pending = async (copies: { id: number }[]) =>
    h.count('alarm_message', `state = 'pending' AND (id IN (${copies.map((c) => c.id).join(',')}) OR kind = 'digest')`);

  /** Every copy reached the channel exactly once, nothing is pending, nothing was withdrawn or failed. */
  async function expectExactlyOnce(r: Awaited<ReturnType<typeof stall>>) {
    expect(r.aFailed).toBeNull();
    const times = new Map<string, number>();
    for (const d of r.channel.delivered) times.set(d, (times.get(d) ?? 0) + 1);
    const expected = r.copies.map((c) => `${c.recipientId}:${c.leadName}`).sort();
    expect([...times.keys()].sort()).toEqual(expected);
    expect([...times.entries()].filter(([, t]) => t !== 1)).toEqual([]);
    const ids = r.copies.map((c) => c.id).join(',');
    const states = await h.ds.query(
      `SELECT m.state, m.lastError, d.state AS digestState FROM alarm_message m LEFT JOIN alarm_message d ON d.id = m.digestId WHERE m.id IN (${ids})`,
    );
    expect(states.filter((s: any) => !(s.state === 'sent' || (s.state === 'merged' && s.digestState === 'sent')))).toEqual([]);
    expect(await h.count('alarm_message', `state = 'pending'`)).toBe(0);
    return states;
  }

  it('frozen before a send: the resumed process finds its lease gone and sends nothing', async () => {
    const r = await stall('beforeSend', { digestAbove: 50, dedupe: false });
    await expectExactlyOnce(r);
    expect(r.bStats.sent).toBeGreaterThan(0);
    expect((r.aStats as { lost: number }).lost).toBeGreaterThan(0);
  });

  it("frozen after a send, before recording it: the new holder's resend is refused by the platform as already delivered, once", async () => {
    const r = await stall('afterSend', { digestAbove: 50, dedupe: true });
    await expectExactlyOnce(r);
    expect((r.aStats as { lost: number }).lost).toBeGreaterThan(0);
  });

  it("frozen between deciding a digest and marking its cards: the resumed merge rolls back, the cards go out in the other process's digest only", async () => {
    const r = await stall('betweenMergeAndMark', { digestAbove: 2, dedupe: false });
    const states = await expectExactlyOnce(r);
    expect(states.every((s: any) => s.state === 'merged')).toBe(true);
    // One digest per recipient, all sent; no duplicate-key digest left behind.
    const digests = await h.ds.query(
      `SELECT recipientId, state FROM alarm_message WHERE kind = 'digest' AND id IN (SELECT digestId FROM alarm_message WHERE id IN (${r.copies.map((c) => c.id).join(',')}))`,
    );
    expect(digests.map((d: any) => d.state)).toEqual(['sent', 'sent', 'sent']);
  });

  it('frozen with a written digest about to be sent: the digest goes out once', async () => {
    const r = await stall('beforeSend', { digestAbove: 2, dedupe: false });
    const states = await expectExactlyOnce(r);
    expect(states.every((s: any) => s.state === 'merged')).toBe(true);
  });

  it('a card withdrawn while its digest is being merged: the merge rolls back whole, the rest go out in one digest, the withdrawn card nowhere', async () => {
    const copies = await raise(2);
    const channel = new RecordingChannel(false);
    const freeze = freezeAt('betweenMergeAndMark');
    const a = new Dispatcher(h.app, channels(channel), LEASE, 1, { pauses: freeze.pauses });
    const aRun = a.run();
    await freeze.frozen;
    // The lead's handling withdraws one copy (as timers.ts does) while A holds the digest's cards.
    const [withdrawn] = copies;
    await h.ds.query(`UPDATE alarm_message SET state = 'cancelled', leaseOwner = NULL, leaseUntil = NULL WHERE id = ?`, [withdrawn.id]);
    freeze.resume();
    await aRun;
    for (let i = 0; i < 10 && (await pending(copies)) > 0; i++) {
      h.clock.advance(STALL);
      await a.run();
    }
    const times = new Map<string, number>();
    for (const d of channel.delivered) times.set(d, (times.get(d) ?? 0) + 1);
    expect([...times.keys()].sort()).toEqual(
      copies
        .slice(1)
        .map((c) => `${c.recipientId}:${c.leadName}`)
        .sort(),
    );
    expect([...times.values()].every((t) => t === 1)).toBe(true);
    const [row] = await h.ds.query(`SELECT state, digestId FROM alarm_message WHERE id = ?`, [withdrawn.id]);
    expect(row).toMatchObject({ state: 'cancelled', digestId: null });
    expect(await h.count('alarm_message', `state = 'pending'`)).toBe(0);
  });

  it('a slow but live process keeps its lease by heartbeat: nobody else takes its rows, and it delivers them once', async () => {
    const copies = await raise(50);
    const channel = new RecordingChannel(false);
    const freeze = freezeAt('beforeSend');
    const a = new Dispatcher(h.app, channels(channel), LEASE, 8, { pauses: freeze.pauses, heartbeatMs: 20 });
    const b = new Dispatcher(h.app, channels(channel), LEASE, 8);
    const aRun = a.run();
    await freeze.frozen;
    // Twice 60 % of the lease, with a renewal in between: past the first lease, within the renewed one.
    for (let i = 0; i < 2; i++) {
      h.clock.advance(LEASE * 0.6);
      const before = h.clock.now();
      await expect
        .poll(
          async () => Number((await h.ds.query(`SELECT MIN(leaseUntil) AS u FROM alarm_message WHERE leaseOwner IS NOT NULL`))[0].u) >= before + LEASE * 0.9,
          { interval: 10, timeout: 3000 },
        )
        .toBe(true);
    }
    expect(await b.run()).toEqual({ sent: 0, failed: 0, retried: 0, lost: 0 });
    freeze.resume();
    expect(await aRun).toMatchObject({ sent: copies.length, lost: 0 });
    expect(channel.delivered.length).toBe(copies.length);
    expect(new Set(channel.delivered).size).toBe(copies.length);
  });
});

/**
 * The same stalls through the real WeCom adapter and the fake WeCom API: a card's task_id is unique per app,
 * so the copy a stalled process sent before it could record it comes back as 42014 to its new holder, which
 * records it as delivered; the fake counts every card it accepted.
 */
describeEachDb('alarm delivery exactly once across a stall, through WeCom', (kind) => {
  const h = new Harness(kind, 10);
  const fake = new FakeWecom('wwstalltest0001', 'fake-secret-0001');
  let wx: ReturnType<typeof withWecomMessages>;
  let wecom: AlarmChannel;
  beforeAll(async () => {
    await h.start();
    await fake.start();
    wx = withWecomMessages(fake);
    const config = { corpId: fake.corpId, agentId: 1000002, secret: 'fake-secret-0001', apiBase: fake.base };
    h.app.config = { ...TEST_CONFIG, wecom: config };
    for (const [name, wid] of [
      ['张敏', 'zhangmin'],
      ['李静', 'lijing'],
      ['黄蓉', 'huangrong'],
    ]) {
      await h.ds.query(`UPDATE app_user SET wecomUserId = ? WHERE name = ?`, [wid, name]);
    }
    wecom = new WecomChannel(new WecomApi(config, h.clock));
  });
  afterAll(async () => {
    await fake.stop();
    await h.stop();
  });

  for (const point of ['beforeSend', 'afterSend'] as const) {
    it(`frozen ${point === 'beforeSend' ? 'before' : 'after'} a send: every template card reaches WeCom once and keeps its response_code`, async () => {
      const leadIds = await overdueLeads(h, '企微', '1370000');
      const before = wx.delivered.length;
      const freeze = freezeAt(point);
      const a = new Dispatcher(h.app, channels(wecom), LEASE, 8, { pauses: freeze.pauses });
      const b = new Dispatcher(h.app, channels(wecom), LEASE, 8);
      const aRun = a.run();
      await freeze.frozen;
      h.clock.advance(STALL);
      await b.run();
      freeze.resume();
      expect((await aRun).lost).toBeGreaterThan(0);
      const copies = await h.ds.query(
        `SELECT m.state, m.platformRef, a.taskId, m.recipientId FROM alarm_message m JOIN alarm a ON a.id = m.alarmId WHERE a.leadId IN (${leadIds.join(',')})`,
      );
      expect(copies.length).toBe(LEADS * 3);
      expect(copies.filter((c: any) => c.state !== 'sent')).toEqual([]);
      // Each copy keeps the response_code of the card WeCom has, so a tap can still update it.
      expect(copies.filter((c: any) => !String(c.platformRef ?? '').startsWith('rc_'))).toEqual([]);
      const sent = wx.delivered
        .slice(before)
        .map((d) => d.template_card.task_id)
        .sort();
      expect(sent).toEqual(copies.map((c: any) => `${c.taskId}u${c.recipientId}`).sort());
    });
  }
});

function channels(c: AlarmChannel) {
  return { local: c, wecom: c, dingtalk: c, wecom_grp: c, ding_grp: c } as Record<ChannelKind, AlarmChannel>;
}

let leadNo = 0;
/** LEADS new leads of 张敏 (names and phones unique per call), 48 h later without follow-up: alarms raised, not dispatched. */
async function overdueLeads(h: Harness, name: string, phonePrefix: string): Promise<number[]> {
  const leadIds: number[] = [];
  for (let i = 0; i < LEADS; i++) {
    const n = ++leadNo;
    const r = await h.req('POST', '/api/leads', {
      as: '张敏',
      body: { phone: `${phonePrefix}${String(n).padStart(4, '0')}`, channel: '抖音-202601直播', name: `${name}${n}号`, grade: '初二' },
    });
    expect(r.status).toBe(201);
    leadIds.push(r.body.lead.id);
  }
  h.clock.advance(48 * H + 1000);
  const holder = leaseName('timer');
  const cache = new TickCache(h.app);
  const [company] = await h.ds.query(`SELECT id FROM company LIMIT 1`);
  await cache.warm([company.id]);
  await fireTimers(h.app, await claimDue(h.app, 'alarm_timer', 'dueAt', holder, h.clock.now(), LEASE, 1000), holder, null, cache);
  return leadIds;
}
