import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_NOW } from '../support/harness';
import { storedAndRecomputed, timerRows } from '../support/derived-state';
import { Projector } from '../../server/src/projector/projector';
import { recordLeadChanges } from '../../server/src/projector/outbox';
import type { ProjectionStep } from '../../server/src/projector/step';
import { conversationsStep, factsStep } from '../../server/src/metrics';
import { timersStep } from '../../server/src/alarms';

/** Derived state (facts, rollups, conversation flags, alarm timers) is projected after commit from the outbox. */
describeEachDb('projector', (kind) => {
  const h = new Harness(kind, 30);
  const steps = (): ProjectionStep[] => [factsStep(h.app), conversationsStep, timersStep(h.app)];
  let seq = 0;
  const save = (as: string, leadId: number, action = '已电话沟通') =>
    h.req('POST', '/api/followups', { as, body: { leadId, action, clientRequestId: `proj-${kind}-${++seq}` } });
  const ownLeads = async (name: string) =>
    ((await h.ds.query('SELECT id FROM `lead` WHERE ownerId = ? AND deletedAt IS NULL ORDER BY id', [(await h.user(name)).id])) as { id: number }[]).map((r) =>
      Number(r.id),
    );
  const factOf = async (leadId: number) => (await h.ds.query('SELECT firstTouchAt, journeyNode FROM lead_fact WHERE leadId = ?', [leadId]))[0];
  const changesOf = (leadId: number) => h.count('lead_change', 'leadId = ?', [leadId]);
  const newLead = async (phone: string) => {
    const made = await h.req('POST', '/api/leads', { as: '李静', body: { phone, channel: '抖音-202601直播' } });
    expect(made.status).toBe(201);
    return Number(made.body.lead.id);
  };

  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('a save answers at commit; its derived state follows within one projection, and the watermark says how far it got', async () => {
    h.autoSettle = false;
    try {
      const [leadId] = await ownLeads('张敏');
      const before = await factOf(leadId);
      const r = await save('张敏', leadId, '已预约试听');
      expect(r.status).toBe(201);
      expect(await changesOf(leadId)).toBe(1);
      expect(await factOf(leadId)).toEqual(before); // not projected yet
      const waiting = await h.projector.health();
      expect(waiting.backlog).toBe(1);
      expect(waiting.watermark).toBeLessThan(h.clock.now());
      const healthz = await h.req('GET', '/healthz');
      expect(healthz.body.projector.backlog).toBe(1);

      await h.projector.drain();
      expect(await changesOf(leadId)).toBe(0);
      const [lead] = await h.ds.query('SELECT journeyNode FROM `lead` WHERE id = ?', [leadId]);
      expect(await factOf(leadId)).toMatchObject({ journeyNode: lead.journeyNode, firstTouchAt: expect.anything() });
      const done = await h.projector.health();
      expect(done).toMatchObject({ backlog: 0, failing: 0, watermark: h.clock.now() });
    } finally {
      h.autoSettle = true;
    }
  });

  it('projecting every lead again changes nothing (steps are idempotent and depend only on source rows)', async () => {
    const leads = await ownLeads('赵丽');
    for (const id of leads.slice(0, 4)) await save('赵丽', id, '已发送资料');
    const all = ((await h.ds.query('SELECT id FROM `lead` WHERE companyId = ?', [h.seed.companyId])) as { id: number }[]).map((r) => Number(r.id));
    const projectAll = async () => {
      await h.app.tx.run((em) => recordLeadChanges(em, h.seed.companyId, all, h.clock.now()));
      await h.projector.drain();
    };
    await projectAll(); // the seed leaves alarm timers to the server's start-up: this arms them
    const timers = await timerRows(h);
    const conversations = await h.ds.query('SELECT * FROM conversation ORDER BY id');
    const repDays = await h.ds.query('SELECT * FROM rep_day ORDER BY companyId, repId, day');
    await projectAll();
    expect(await timerRows(h)).toEqual(timers);
    expect(await h.ds.query('SELECT * FROM conversation ORDER BY id')).toEqual(conversations);
    expect(await h.ds.query('SELECT * FROM rep_day ORDER BY companyId, repId, day')).toEqual(repDays);
    const { stored, recomputed } = await storedAndRecomputed(h);
    expect(stored).toEqual(recomputed);
  });

  it('a broken step never fails a save: the other leads are projected, the broken one is retried with backoff and reported', async () => {
    h.autoSettle = false;
    try {
      const [bad, good] = await ownLeads('陈晨');
      let broken = true;
      const flaky: ProjectionStep = {
        name: 'flaky',
        project: async (_em, b) => {
          if (broken && b.leadIds.includes(bad)) throw new Error('step exploded');
        },
      };
      const projector = new Projector(h.app, [...steps(), flaky]);
      expect((await save('陈晨', bad)).status).toBe(201);
      expect((await save('陈晨', good)).status).toBe(201);
      await projector.runOnce();
      expect(await changesOf(good)).toBe(0);
      expect(await changesOf(bad)).toBe(1);
      expect(await factOf(good)).toMatchObject({ firstTouchAt: expect.anything() });
      const health = await projector.health();
      expect(health).toMatchObject({ backlog: 1, failing: 1, lastError: 'flaky: step exploded' });
      // Its other steps were projected one by one: the broken step keeps none of its derived state stale.
      expect(await factOf(bad)).toMatchObject({ firstTouchAt: expect.anything() });
      expect((await h.req('GET', '/healthz')).body.status).toBe('degraded');
      // Backing off: not retried at once.
      expect(await projector.runOnce()).toBe(0);
      broken = false;
      h.clock.advance(2_000);
      await projector.drain();
      expect(await changesOf(bad)).toBe(0);
      expect((await projector.health()).failing).toBe(0);
      const { stored, recomputed } = await storedAndRecomputed(h);
      expect(stored).toEqual(recomputed);
    } finally {
      h.autoSettle = true;
    }
  });

  if (kind === 'mysql') {
    describe('two processes projecting the same lead', () => {
      /**
       * Until a statement matching `pattern` (SQL LIKE) is running: it waits for a row lock (uncontended, it takes
       * microseconds), or `timeoutMs`. Our own threads are visible in PROCESSLIST without the PROCESS privilege.
       */
      const lockWait = async (pattern: string, timeoutMs = 5_000) => {
        for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
          const [row] = await h.ds.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE ?", [pattern]);
          if (Number(row.n) > 0) return;
        }
        throw new Error(`no statement like ${pattern} is waiting for a lock`);
      };

      it("the second waits on the first one's fact lock, then recomputes from what it committed", async () => {
        h.autoSettle = false;
        try {
          const [leadId] = (await ownLeads('刘洋')).slice(-1);
          const [p1, p2] = [new Projector(h.app, steps()), new Projector(h.app, steps())];
          expect((await save('刘洋', leadId, '已预约试听')).status).toBe(201);
          const hold = h.gate.hold('facts:afterLock');
          const first = p1.runOnce();
          await hold.reached; // p1 holds the lead's fact row, computed from the first save
          expect(
            (
              await h.req('POST', '/api/followups', {
                as: '刘洋',
                body: { leadId, action: '已发送资料', clientRequestId: `proj-${kind}-visit` },
              })
            ).status,
          ).toBe(201);
          const second = p2.runOnce();
          await lockWait('%FROM lead_fact%FOR UPDATE%').finally(() => hold.release());
          await Promise.all([first, second]);
          await p1.drain();
          expect(await changesOf(leadId)).toBe(0);
          const { stored, recomputed } = await storedAndRecomputed(h);
          expect(stored).toEqual(recomputed);
        } finally {
          h.autoSettle = true;
        }
      });

      it('a settings change waits for a projection that read the old settings, then re-arms what it armed', async () => {
        h.autoSettle = false;
        try {
          // A new, never-contacted lead: its no_followup timer is due createdAt + noFollowupHours.
          const leadId = await newLead('13912345671');
          const [lead] = await h.ds.query('SELECT createdAt FROM `lead` WHERE id = ?', [leadId]);
          const hold = h.gate.hold('facts:afterLock');
          const projecting = new Projector(h.app, steps()).runOnce();
          await hold.reached; // it read the settings (48 h) under a shared lock
          const saving = h.req('PUT', '/api/alarms/settings', { as: '系统管理员', body: { noFollowupHours: 40 } });
          // The settings save locks the company row before reading it (settings-block.ts companyForUpdate): that locking
          // read waits for the projection's shared lock on the row.
          await lockWait('%FROM `company`%FOR UPDATE%').finally(() => hold.release());
          await projecting;
          expect((await saving).status).toBe(200);
          await h.projector.drain();
          const [timer] = await h.ds.query("SELECT dueAt, state FROM alarm_timer WHERE leadId = ? AND rule = 'no_followup'", [leadId]);
          expect({ dueAt: Number(timer.dueAt), state: timer.state }).toEqual({ dueAt: Number(lead.createdAt) + 40 * 3600_000, state: 'pending' });
        } finally {
          h.autoSettle = true;
          await h.req('PUT', '/api/alarms/settings', { as: '系统管理员', body: { noFollowupHours: 48 } });
        }
      });

      it("a new lead projected by two at once is inserted once: the loser retries against the winner's fact", async () => {
        h.autoSettle = false;
        try {
          const leadId = await newLead('13912345670');
          const [p1, p2] = [new Projector(h.app, steps()), new Projector(h.app, steps())];
          const hold = h.gate.hold('facts:afterLock');
          const first = p1.runOnce();
          await hold.reached; // no fact yet: nothing to lock, p1 computed the lead as new
          try {
            await h.app.tx.run((em) => recordLeadChanges(em, h.seed.companyId, [leadId], TEST_NOW));
            await p2.runOnce(); // inserts the fact and its rollup counts
          } finally {
            hold.release();
          }
          await first; // its INSERT fails on the key; the retry reads p2's fact and applies no second count
          expect(await h.count('lead_fact', 'leadId = ?', [leadId])).toBe(1);
          expect(await changesOf(leadId)).toBe(0);
          const { stored, recomputed } = await storedAndRecomputed(h);
          expect(stored).toEqual(recomputed);
        } finally {
          h.autoSettle = true;
        }
      });
    });
  }
});
