import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmEngine } from '../../server/src/alarms';
import type { AppConfig } from '../../server/src/config';
import { Harness, type Res } from '../support/harness';
import type { Hold } from '../support/gate';
import { alarmDrift, blockedOrDone, holdAndRace, metricsDrift, stayDrift, started, waitUntil, within, type Started } from '../support/interleave';

/**
 * Races closed, proved by forcing one interleaving each: a transaction is held at a named checkpoint (its COMMIT, or a
 * point inside a commit hook), another runs against it (blocking on its locks, or finishing), then the first goes on.
 * Assertions are about the end state, after `h.settle()`: they hold whether derived state is written in the change's
 * transaction or later by a projector.
 *
 * MariaDB/MySQL only. SQLite has one writer and `Tx` queues transactions there, so no two can interleave: nothing to
 * race. The describe carries "[mysql]" for the summary reporter.
 */
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

describe.skipIf(!process.env.TEST_MYSQL_URL)('races: derived state under interleaved transactions [mysql]', () => {
  /** A fresh company (no demo leads) per race: facts and rollups are compared company-wide. */
  function harness(config: Partial<AppConfig> = {}): Harness {
    const h = new Harness('mysql', 0, config);
    beforeAll(() => h.start(), 120_000);
    afterAll(() => h.stop(), 60_000);
    return h;
  }
  const ok = <T>(r: Res<T>, what: string): T => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r.body;
  };
  const newLead = async (h: Harness, body: Record<string, unknown>, as = '张敏') =>
    ok(await h.req('POST', '/api/leads', { as, body: { channel: '抖音-202601直播', ...body } }), 'create lead').lead.id as number;
  let seq = 0;
  const followup = (h: Harness, leadId: number, action = '已电话沟通', as = '张敏') =>
    h.req('POST', '/api/followups', {
      as,
      body: { leadId, action, conclusion: '家长在考虑' },
      headers: { 'Idempotency-Key': `race-${Date.now()}-${seq++}` },
    });
  /** A customer with a full profile and one lead (10:00), a minute ago; the rep signed in. */
  const customerWithLead = async (h: Harness, phone: string, name: string) => {
    h.clock.set(at('2026-01-15T10:00:00+08:00'));
    const id = await newLead(h, { phone, name, city: '苏州', grade: '初二', concerns: ['学科提分'] });
    h.clock.advance(MIN);
    await h.token('张敏');
    return id;
  };
  /** Runs `body`, releasing every hold whatever happens, so a failing test never leaves a transaction waiting. */
  async function releasing(holds: Hold[], body: () => Promise<void>) {
    try {
      await body();
    } finally {
      holds.forEach((x) => x.release());
    }
  }

  describe('a second lead of a customer vs a follow-up on the first', () => {
    const h = harness();
    // T1 creates a second lead for a known customer (the first lead stops being the one their profile counts at) and
    // is held before COMMIT; T2 saves a follow-up on the first lead and waits on its lead_fact lock; T1 commits.
    // Open race: T2 refreshed the first lead's fact from a snapshot taken before T1 committed, so the first lead is
    // "primary" again: the dashboard counts the customer's profile twice (profile completeness out by one customer).
    it('every fact and rollup row equals a recomputation', async () => {
      const phone = '13700001001';
      const first = await customerWithLead(h, phone, '范妈妈');
      // Today the follow-up waits on the first lead's lead_fact row lock (FOR UPDATE in its facts hook).
      const [second, save] = await holdAndRace(
        h,
        'tx:lead.create:beforeCommit',
        () => h.req('POST', '/api/leads', { as: '张敏', body: { phone, channel: '转介绍', name: '范妈妈' } }),
        () => followup(h, first),
      );
      expect(ok(second, 'second lead').attachedToExisting).toBe(true);
      ok(save, 'follow-up');
      await h.settle();
      expect(await metricsDrift(h)).toEqual([]);
    });
  });

  describe('a follow-up on an overdue lead vs the alarm tick', () => {
    const h = harness();
    // T1 (a follow-up on a lead 48 h without one) is held in its timer hook, after reading the lead's timers; the
    // alarm tick fires that timer meanwhile (rep, supervisor and ops head get a card, held by quiet hours); T1 goes on.
    // Open race: T1 writes back the timer it read as pending: the fired timer ends "cancelled" (firedAt still set), and
    // the three cards, whose deadline the follow-up satisfied, are still delivered at 08:00.
    it('the fired timer stays fired; its waiting cards are withdrawn', async () => {
      h.clock.set(at('2026-01-18T22:00:00+08:00'));
      const lead = await newLead(h, { phone: '13700002001', name: '夜间家长', grade: '初二' });
      h.clock.set(at('2026-01-20T22:01:00+08:00')); // 48 h + 1 min, inside quiet hours (21:30–08:00)
      await h.token('张敏');
      const engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
      // Today the tick fires the timer and finishes while the follow-up is held.
      const [save, stats] = await holdAndRace(
        h,
        'timers:afterRead',
        () => followup(h, lead),
        () => engine.tick(),
      );
      ok(save, 'follow-up');
      // The timers are synced after the follow-up committed, under their locks: the tick either fired the timer first
      // or, waiting on the lock, found it satisfied (fired or cancelled nothing: the lead has its follow-up).
      expect(stats.fired + stats.cancelled).toBeLessThanOrEqual(1);
      await h.settle();
      expect(await alarmDrift(h, [lead])).toEqual([]);
    });

    it('a tick that fires while the follow-up is still uncommitted: the alarm stays fired, its waiting cards are withdrawn', async () => {
      h.clock.set(at('2026-01-21T22:00:00+08:00'));
      const lead = await newLead(h, { phone: '13700002002', name: '夜间家长二', grade: '初二' });
      h.clock.set(at('2026-01-23T22:01:00+08:00'));
      await h.token('张敏');
      const engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
      // The follow-up is held just before its COMMIT: the tick sees a lead 48 h without follow-up and fires (3 cards,
      // held by quiet hours). Then the follow-up commits, and the projection must leave the timer fired and withdraw
      // the cards its follow-up made pointless.
      const [save, stats] = await holdAndRace(
        h,
        'tx:followup.save:beforeCommit',
        () => followup(h, lead),
        () => engine.tick(),
      );
      ok(save, 'follow-up');
      expect(stats.fired).toBe(1);
      await h.settle();
      expect(await alarmDrift(h, [lead])).toEqual([]);
      expect(await h.count('alarm_message', "state = 'pending' AND alarmId IN (SELECT id FROM alarm WHERE leadId = ?)", [lead])).toBe(0);
    });
  });

  describe('a stage change vs a grouped follow-up moving the same lead', () => {
    const h = harness({ followupGroupCommit: { maxBatch: 10, slots: 1 } });
    // T1 (PATCH journeyNode 线索获取 → 需求确认) is held before COMMIT. A follow-up on the same lead goes in a shared
    // (group commit) transaction: its idempotency-key read fixes the snapshot, then it waits on the lead's lock; T1
    // commits. Open race: the follow-up closes the stay it saw open (线索获取) and opens 试听体验, leaving T1's 需求确认
    // open too: two open stays, and time-in-node figures count the lead in both.
    it('the lead has exactly one open stay and its stays chain', async () => {
      h.clock.set(at('2026-01-15T10:00:00+08:00'));
      const [x, y, z] = [await newLead(h, { phone: '13700003001' }), await newLead(h, { phone: '13700003002' }), await newLead(h, { phone: '13700003003' })];
      await h.token('张敏');
      h.clock.advance(MIN);
      const patchHold = h.gate.hold('tx:lead.update:beforeCommit');
      const slotHold = h.gate.hold('tx:followup.save:beforeCommit');
      let patch!: Started<Res>;
      let saves!: Started<Res>[];
      const stats0 = { ...h.followups.groupCommitStats };
      await releasing([patchHold, slotHold], async () => {
        patch = started(h.req('PATCH', `/api/leads/${x}`, { as: '张敏', body: { journeyNode: '需求确认' } }));
        await within(patchHold.reached, 'the stage change to reach its COMMIT');
        h.clock.advance(MIN);
        // The only slot is busy with a save on another lead: the next saves queue, and go together when it frees.
        const busy = started(followup(h, y));
        await within(slotHold.reached, 'a save to occupy the only slot');
        saves = [started(followup(h, x, '已预约试听')), started(followup(h, z))];
        await waitUntil('two saves to queue for the slot', () => h.followups.groupCommitStats.waiting === 2);
        slotHold.release();
        ok(await within(busy.promise, 'the save holding the slot'), 'busy save');
        await blockedOrDone(h, saves[0]); // the shared transaction reads the keys, then waits for the lead's lock
      });
      ok(await within(patch.promise, 'the stage change'), 'stage change');
      for (const s of saves) ok(await within(s.promise, 'a grouped save'), 'grouped save');
      expect(h.followups.groupCommitStats.batches - stats0.batches).toBe(1); // the grouped path it meant to take
      await h.settle();
      const { stays, problems } = await stayDrift(h, x);
      expect({ stays, problems }).toEqual({ stays, problems: [] });
    });
  });

  describe("a claim vs the tick firing the lead's unclaimed alarm", () => {
    const h = harness();
    // T1 (the owner claims a lead assigned 31 min ago) is held in its timer hook, after reading the timers; the tick
    // fires the unclaimed timer (the supervisor's card waits for 08:00, quiet hours); T1 goes on. Open race: the fired
    // timer is overwritten as cancelled, and the supervisor still gets an "unclaimed" card at 08:00 for a claimed lead.
    it('the fired timer stays fired; its waiting card is withdrawn', async () => {
      h.clock.set(at('2026-01-20T21:40:00+08:00'));
      const owner = await h.user('张敏');
      const lead = await newLead(h, { phone: '13700004001', name: '夜间线索', grade: '初二', ownerId: owner.id }, '李静');
      h.clock.advance(31 * MIN);
      await h.token('张敏');
      const engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
      // Today the tick fires the unclaimed timer and finishes while the claim is held.
      const [claim, stats] = await holdAndRace(
        h,
        'timers:afterRead',
        () => h.req('POST', `/api/leads/${lead}/claim`, { as: '张敏' }),
        () => engine.tick(),
      );
      expect(ok(claim, 'claim')).toMatchObject({ alreadyClaimed: false });
      // Synced after the claim committed, under the timers' locks: the tick fired the unclaimed timer first, or found
      // it satisfied (the 48 h one is not due).
      expect(stats.fired + stats.cancelled).toBeLessThanOrEqual(1);
      await h.settle();
      expect(await alarmDrift(h, [lead])).toEqual([]);
    });

    it('a tick that fires while the claim is still uncommitted: the alarm stays fired, its waiting card is withdrawn', async () => {
      h.clock.set(at('2026-01-21T21:40:00+08:00'));
      const owner = await h.user('张敏');
      const lead = await newLead(h, { phone: '13700004002', name: '夜间线索二', grade: '初二', ownerId: owner.id }, '李静');
      h.clock.advance(31 * MIN);
      await h.token('张敏');
      const engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
      const [claim, stats] = await holdAndRace(
        h,
        'tx:lead.claim:beforeCommit',
        () => h.req('POST', `/api/leads/${lead}/claim`, { as: '张敏' }),
        () => engine.tick(),
      );
      expect(ok(claim, 'claim')).toMatchObject({ alreadyClaimed: false });
      expect(stats.fired).toBe(1);
      await h.settle();
      expect(await alarmDrift(h, [lead])).toEqual([]);
      expect(await h.count('alarm_message', "state = 'pending' AND alarmId IN (SELECT id FROM alarm WHERE leadId = ?)", [lead])).toBe(0);
    });
  });

  describe('a profile edit vs a second lead of the same customer', () => {
    const h = harness();
    // T1 (PATCH the lead: the customer moves from 苏州 to 南京, grade 初二 → 初三) is held before COMMIT; T2 creates a
    // second lead for the same customer and waits on T1's locks; T1 commits. Open race: T2 refreshes the facts of both
    // leads from a snapshot taken before T1 committed: the city/grade heat maps and filters place the customer in 苏州
    // 初二 although the customer record says 南京 初三.
    it('every fact and rollup row equals a recomputation', async () => {
      const phone = '13700005001';
      const first = await customerWithLead(h, phone, '白妈妈');
      // Today the second lead's INSERT waits on the customer row the edit updated (its foreign-key check).
      const [edit, second] = await holdAndRace(
        h,
        'tx:lead.update:beforeCommit',
        () => h.req('PATCH', `/api/leads/${first}`, { as: '张敏', body: { city: '南京', grade: '初三' } }),
        () => {
          h.clock.advance(MIN);
          return h.req('POST', '/api/leads', { as: '张敏', body: { phone, channel: '转介绍' } });
        },
      );
      ok(edit, 'profile edit');
      expect(ok(second, 'second lead').attachedToExisting).toBe(true);
      await h.settle();
      expect(await metricsDrift(h)).toEqual([]);
    });
  });
});
