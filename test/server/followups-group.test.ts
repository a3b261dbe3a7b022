import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_LEVEL_A } from '@lifeline/shared';
import { MEASURE_NAMES, rebuildRollups } from '../../server/src/metrics/rollup';
import { refreshLeadFacts } from '../../server/src/metrics/facts';
import { describeEachDb, Harness } from '../support/harness';

const at = (minutes: number) => new Date(Date.parse('2026-01-21T15:00:00+08:00') + minutes * 60_000).toISOString();

/**
 * Follow-up saves that arrive while the database is busy share one transaction (group commit). These tests hold the
 * only slot with a first save (a domain-event handler waits on a gate inside its transaction), queue a burst behind
 * it, then let go: the burst runs as one shared transaction, and every request must get the answer and the rows it
 * would have got alone.
 */
describeEachDb('follow-ups: group commit under load', (kind) => {
  const h = new Harness(kind, 120, { followupGroupCommit: { maxBatch: 32, slots: 1 } });
  let gate: Promise<void> | null = null;
  let holding: (() => void) | null = null;
  let heldLead = 0;
  const own = new Map<string, number[]>();

  beforeAll(async () => {
    await h.start();
    h.app.events.on(async (_em, emitted) => {
      const held = emitted.some(({ event }) => event.type === 'followup.created' && event.followup.leadId === heldLead);
      if (gate && held) {
        holding?.();
        await gate;
      }
    });
    for (const name of ['张敏', '陈晨', '刘洋']) {
      const u = await h.user(name);
      const rows = await h.ds.query('SELECT id FROM `lead` WHERE ownerId = ? AND deletedAt IS NULL ORDER BY id', [u.id]);
      own.set(
        name,
        rows.map((r: { id: unknown }) => Number(r.id)),
      );
      await h.token(name); // signed in before any slot is held
      expect(own.get(name)!.length).toBeGreaterThanOrEqual(7);
    }
  }, 120_000);
  afterAll(() => h.stop());

  /** Runs `burst` while a first save holds the only slot; returns the burst's answers once the slot is free. */
  async function behindBusySlot<T>(burst: () => Promise<T>[], queued: number): Promise<T[]> {
    let open!: () => void;
    gate = new Promise((r) => {
      open = r;
    });
    const held = new Promise<void>((r) => {
      holding = r;
    });
    heldLead = own.get('刘洋')![4];
    const first = h.req('POST', '/api/followups', {
      as: '刘洋',
      body: { leadId: heldLead, action: '已电话沟通', conclusion: '占住通道' },
      headers: { 'Idempotency-Key': `hold-${Date.now()}-${Math.random()}` },
    });
    await held;
    const answers = burst();
    try {
      for (let i = 0; i < 400 && h.followups.groupCommitStats.waiting < queued; i++) await new Promise((r) => setTimeout(r, 5));
      expect(h.followups.groupCommitStats.waiting).toBe(queued);
    } finally {
      gate = null;
      open();
    }
    expect((await first).status).toBe(201);
    return Promise.all(answers);
  }

  it('a burst shares one transaction; each save gets its own answer, good ones their rows, bad ones nothing', async () => {
    const stored = { leadId: own.get('张敏')![3], action: '已电话沟通', conclusion: '已存过的一条' };
    expect((await h.req('POST', '/api/followups', { as: '张敏', body: stored, headers: { 'Idempotency-Key': `g-${kind}-stored` } })).status).toBe(201);
    // Two of the reps talked with their customers today: the burst's saves on those customers mark the talks followed.
    const customerOf = async (leadId: number) => Number((await h.ds.query('SELECT customerId FROM `lead` WHERE id = ?', [leadId]))[0].customerId);
    const talks = [
      { as: '陈晨', customerId: await customerOf(own.get('陈晨')![1]) },
      { as: '刘洋', customerId: await customerOf(own.get('刘洋')![2]) },
    ];
    for (const t of talks)
      expect((await h.req('POST', '/api/conversations', { as: t.as, body: { customerId: t.customerId, source: 'wecom' } })).status).toBe(200);
    const followedCount = async () => Number((await h.ds.query('SELECT COALESCE(SUM(followedConversations), 0) AS n FROM rep_day'))[0].n);
    const followed0 = await followedCount();
    const before = { f: await h.count('followup'), a: await h.count('audit_log') };
    const stats0 = { ...h.followups.groupCommitStats };

    type Ask = { as: string; key: string; body: Record<string, unknown>; expect: number };
    const asks: Ask[] = [];
    for (const name of ['张敏', '陈晨', '刘洋']) {
      for (let i = 0; i < 3; i++) {
        const leadId = own.get(name)![i];
        asks.push({
          as: name,
          key: `g-${kind}-${own.get(name)![i]}-${i}`,
          expect: 201,
          body: {
            leadId,
            action: i === 1 ? '已预约试听' : '已电话沟通',
            conclusion: `${name}第${i + 1}条：家长关心升学`,
            ...(i < 2 ? { nextStep: { at: at(leadId), action: '微信发试听回放' } } : {}),
            source: 'typed',
          },
        });
      }
    }
    // Bad ones, in the same shared transaction: each answered as it would be alone.
    asks.push({ as: '张敏', key: `g-${kind}-unknown-action`, expect: 400, body: { leadId: own.get('张敏')![5], action: '跳舞', conclusion: 'x' } });
    asks.push({ as: '张敏', key: `g-${kind}-not-mine`, expect: 404, body: { leadId: own.get('陈晨')![5], action: '已电话沟通', conclusion: '不是我的线索' } });
    // A retry of a stored save gets the first result; a stored key with another body is refused.
    asks.push({ as: '张敏', key: `g-${kind}-stored`, expect: 200, body: stored });
    asks.push({ as: '陈晨', key: `g-${kind}-stored`, expect: 409, body: { ...stored, conclusion: '换了内容' } });
    // A second save on a lead already in the burst waits for the first one's transaction (never both at once).
    asks.push({
      as: '陈晨',
      key: `g-${kind}-second-on-lead`,
      expect: 201,
      body: { leadId: own.get('陈晨')![0], action: '已发送资料', conclusion: '补发资料' },
    });

    const send = (a: Ask) => h.req('POST', '/api/followups', { as: a.as, body: a.body, headers: { 'Idempotency-Key': a.key } });
    // Concurrent requests may reach the server in any order: the second save on a lead is sent once the first is queued,
    // so "the lead carries the later save" below names the right one.
    const answers = await behindBusySlot(
      () => [
        ...asks.slice(0, -1).map(send),
        (async () => {
          for (let i = 0; i < 400 && h.followups.groupCommitStats.waiting < asks.length - 1; i++) await new Promise((r) => setTimeout(r, 5));
          return send(asks.at(-1)!);
        })(),
      ],
      asks.length,
    );
    expect(answers.map((r) => r.status)).toEqual(asks.map((a) => a.expect));
    expect(answers[9].body.error.message).toMatch(/未知的跟进动作「跳舞」/);
    expect(answers[11].headers.get('idempotent-replayed')).toBe('true');
    expect(answers[12].body.error.message).toMatch(/请求编号/);

    const stats = h.followups.groupCommitStats;
    expect(stats.fallbacks - stats0.fallbacks).toBe(0);
    // Everything but the repeated key and the second save on a lead went in one transaction behind the held one.
    expect(stats.largest).toBe(asks.length - 2);

    // Rows: exactly the 201s, each with its audit trail; nothing for the refused ones.
    const created = answers.map((r, i) => ({ r, a: asks[i] })).filter(({ r }) => r.status === 201);
    expect(await h.count('followup')).toBe(before.f + created.length + 1); // + the held save
    for (const { r, a } of created) {
      const [row] = await h.ds.query('SELECT id, leadId, authorId, conclusion FROM followup WHERE clientRequestId = ?', [a.key]);
      expect({ id: Number(row.id), leadId: Number(row.leadId), conclusion: row.conclusion }).toEqual({
        id: r.body.id,
        leadId: a.body.leadId,
        conclusion: a.body.conclusion,
      });
      expect(Number(row.authorId)).toBe((await h.user(a.as)).id);
      expect(await h.count('audit_log', "entity = 'followup' AND entityId = ? AND action = 'create'", [r.body.id])).toBe(1);
    }
    for (const key of [`g-${kind}-unknown-action`, `g-${kind}-not-mine`]) expect(await h.count('followup', 'clientRequestId = ?', [key])).toBe(0);
    expect(await h.count('followup', 'clientRequestId = ?', [`g-${kind}-stored`])).toBe(1);

    // Each lead carries its own save: the next step (the reminder, armed as a timer) and the latest follow-up.
    for (const { r, a } of created) {
      const leadId = a.body.leadId as number;
      const [lead] = await h.ds.query('SELECT nextStepDueAt, journeyNode, status FROM `lead` WHERE id = ?', [leadId]);
      const latest = created.filter((c) => c.a.body.leadId === leadId).at(-1)!;
      expect({ journeyNode: lead.journeyNode, status: lead.status }).toEqual({
        journeyNode: latest.r.body.lead.journeyNode,
        status: latest.r.body.lead.status,
      });
      const due = (latest.a.body.nextStep as { at: string } | undefined)?.at;
      expect(lead.nextStepDueAt === null ? null : Number(lead.nextStepDueAt)).toBe(due ? Date.parse(due) : null);
      if (latest === created.find((c) => c.r === r) && due) {
        expect(await h.count('alarm_timer', "leadId = ? AND rule = 'next_step' AND state = 'pending' AND dueAt = ?", [leadId, Date.parse(due)])).toBe(1);
      }
    }

    for (const t of talks) {
      const [c] = await h.ds.query('SELECT followupAt FROM conversation WHERE customerId = ? AND repId = ?', [t.customerId, (await h.user(t.as)).id]);
      expect(c.followupAt === null ? null : Number(c.followupAt)).toBe(h.clock.now());
    }
    expect(await followedCount()).toBe(followed0 + 2);

    // The metrics the shared transaction maintained equal a recomputation: facts from their sources, rollup from facts.
    const cols = MEASURE_NAMES.join(', ');
    const facts = async () =>
      ((await h.ds.query('SELECT * FROM lead_fact ORDER BY leadId')) as Record<string, unknown>[]).map(({ updatedAt: _u, ...rest }) =>
        Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v === null ? null : String(v)])),
      );
    const rollup = async () =>
      (
        (await h.ds.query(`SELECT shape, day, ownerId, orgUnitId, dim, ${cols} FROM lead_rollup ORDER BY shape, day, ownerId, orgUnitId, dim`)) as Record<
          string,
          unknown
        >[]
      )
        .filter((row) => MEASURE_NAMES.some((m) => Number(row[m]) !== 0))
        .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === 'shape' || k === 'dim' ? String(v) : Number(v)])));
    const keptFacts = await facts();
    const keptRollup = await rollup();
    const ids = (await h.ds.query('SELECT id FROM `lead`')).map((x: { id: unknown }) => Number(x.id));
    await h.app.tx.run((em) => refreshLeadFacts(em, h.seed.companyId, ids));
    expect(await facts()).toEqual(keptFacts);
    await h.ds.transaction((em) => rebuildRollups(em, h.seed.companyId, DEFAULT_LEVEL_A));
    expect(await rollup()).toEqual(keptRollup);
  }, 60_000);

  if (kind === 'mysql') {
    it('a shared transaction that fails whole (a key committed by someone else meanwhile) is rerun save by save', async () => {
      const stats0 = { ...h.followups.groupCommitStats };
      const before = await h.count('followup');
      const zhang = await h.user('张敏');
      const raced = own.get('张敏')![6];
      // Another server's save with the same key is still open when the burst checks its keys, and commits while the
      // burst's INSERT waits on that key's index entry.
      const other = h.ds.createQueryRunner();
      await other.connect();
      await other.startTransaction();
      try {
        // On another lead: its foreign-key check holds that lead's row, and the burst must not wait on a lead lock.
        const elsewhere = own.get('张敏')![0];
        const [lead] = await h.ds.query('SELECT companyId, customerId FROM `lead` WHERE id = ?', [elsewhere]);
        await other.query(
          `INSERT INTO followup (companyId, leadId, customerId, authorId, action, conclusion, source, clientRequestId, requestHash, createdAt)
           VALUES (?, ?, ?, ?, '已电话沟通', '另一台服务器先存了', 'typed', ?, 'other', ?)`,
          [lead.companyId, elsewhere, lead.customerId, zhang.id, `g-${kind}-raced`, h.clock.now()],
        );
        const asks = [
          ...[4, 5, 6].map((i) => ({ key: `g-${kind}-fb-${i}`, body: { leadId: own.get('陈晨')![i], action: '已电话沟通', conclusion: `第${i}条` } })),
          { key: `g-${kind}-raced`, body: { leadId: raced, action: '已电话沟通', conclusion: '我以为是我先' } },
        ];
        const answers = behindBusySlot(
          () => asks.map((a, i) => h.req('POST', '/api/followups', { as: i < 3 ? '陈晨' : '张敏', body: a.body, headers: { 'Idempotency-Key': a.key } })),
          asks.length,
        );
        let waited = false;
        for (let i = 0; i < 400 && !waited; i++) {
          // The burst's own INSERT (it names the raced key; values are inlined client-side), not any other save's.
          const [w] = await h.ds.query(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO `followup`%' AND INFO LIKE ? AND ID <> CONNECTION_ID()",
            [`%g-${kind}-raced%`],
          );
          waited = Number(w.n) > 0;
          if (!waited) await new Promise((r) => setTimeout(r, 25));
        }
        expect(waited).toBe(true);
        await other.commitTransaction();
        const r = await answers;
        // The other save came first: this one is refused (same key, other content); the rest are stored, once.
        expect(r.map((x) => x.status)).toEqual([201, 201, 201, 409]);
        expect(h.followups.groupCommitStats.fallbacks - stats0.fallbacks).toBe(1);
        expect(await h.count('followup')).toBe(before + 1 + 3 + 1); // the held save, three of the burst, the other server's
        for (const a of asks.slice(0, 3)) expect(await h.count('followup', 'clientRequestId = ?', [a.key])).toBe(1);
        expect((await h.ds.query('SELECT conclusion FROM followup WHERE clientRequestId = ?', [`g-${kind}-raced`]))[0].conclusion).toBe('另一台服务器先存了');
      } finally {
        if (other.isTransactionActive) await other.rollbackTransaction();
        await other.release();
      }
    }, 60_000);
  }
});
