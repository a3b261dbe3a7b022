import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';

let seq = 4000;
const phone = () => `1391544${String(seq++).padStart(4, '0')}`;

/**
 * The test's own Newcombe interval for a difference of two proportions (from Wilson intervals). Three values are judged
 * in the planted month (初三, 初二, 学科提分), so the review's intervals are Bonferroni-wide: z = Φ⁻¹(1 − 0.05/6), taken
 * from Python's statistics.NormalDist().inv_cdf.
 */
const Z_THREE = 2.3939797998185104;
function newcombe(k1: number, n1: number, k2: number, n2: number) {
  const z = Z_THREE;
  const w = (k: number, n: number) => {
    const p = k / n;
    const d = 1 + (z * z) / n;
    const c = (p + (z * z) / (2 * n)) / d;
    const h = (z / d) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
    return [p, c - h, c + h];
  };
  const [p1, l1, u1] = w(k1, n1);
  const [p2, l2, u2] = w(k2, n2);
  return { diff: p1 - p2, low: p1 - p2 - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), high: p1 - p2 + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2) };
}

describeEachDb('field-lift review: finds a planted effect, reports none where none was planted, suggests and applies weights', (kind) => {
  const h = new Harness(kind, 0);
  const leads: { id: number; grade: string; concern: boolean; signed: boolean }[] = [];

  /**
   * 400 March leads: half 初三, half 初二; within each grade half carry 学科提分. 初三 leads sign 50 %, 初二 10 %, and
   * inside every (grade, concern) cell the same share signs, so 学科提分 carries exactly nothing.
   */
  beforeAll(async () => {
    await h.start();
    h.clock.advance(60 * 86_400_000); // March 2026: a month of its own, away from the demo seed's leads
    for (let i = 0; i < 400; i++) {
      const grade = i % 2 === 0 ? '初三' : '初二';
      const concern = (i >> 1) % 2 === 0;
      const k = i >> 2;
      const signed = grade === '初三' ? k % 2 === 0 : k % 10 === 0; // k: 0…99 in each (grade, concern) cell
      const r = await h.req('POST', '/api/leads', {
        as: '张敏',
        body: { phone: phone(), grade, concerns: concern ? ['学科提分'] : [], channel: '公众号-寒假推文' },
      });
      expect(r.status).toBe(201);
      leads.push({ id: r.body.lead.id, grade, concern, signed });
    }
    const signedIds = leads.filter((l) => l.signed).map((l) => l.id);
    await h.ds.query(`UPDATE \`lead\` SET signedAt = createdAt + 86400000, status = 'won' WHERE id IN (${signedIds.join(',')})`);
  });
  afterAll(() => h.stop());

  it('the planted effect is found with the right numbers; the unplanted one is reported as no effect', async () => {
    const r = await h.req('GET', '/api/reviews/field-lift?month=2026-03', { as: '黄蓉' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ month: '2026-03', leads: 400, signed: 120, minSample: 20, judged: 3 });
    expect(r.body.z).toBeCloseTo(Z_THREE, 8);
    const grade = r.body.items.find((i: any) => i.key === 'grade:初三');
    const e = newcombe(100, 200, 20, 200);
    expect(grade).toMatchObject({ effect: 'positive', with: { n: 200, successes: 100 }, without: { n: 200, successes: 20 } });
    expect(grade.lift.diff).toBeCloseTo(e.diff, 12);
    expect(grade.lift.low).toBeCloseTo(e.low, 8); // the quantile is an approximation good to 1e-9
    expect(grade.lift.high).toBeCloseTo(e.high, 8);
    expect(grade.verdict).toMatch(/^有它的签约率更高：50\.0% 对 10\.0%/);
    const concern = r.body.items.find((i: any) => i.key === 'concern:学科提分');
    expect(concern).toMatchObject({ effect: 'none', with: { n: 200, successes: 60 }, without: { n: 200, successes: 60 } });
    expect(concern.lift.diff).toBe(0);
    expect(r.body.carriesNothing).toContain('关注点「学科提分」');
    // The channel all leads share has nobody without it: not judged.
    expect(r.body.items.find((i: any) => i.key === 'channel:公众号寒假推文').effect).toBe('unknown');

    // Suggestions: 初三 from +30 to +40 (the lift, to the nearest 5); 学科提分 (+15) removed; 初二's negative lift adds nothing.
    expect(r.body.suggestions.map((s: any) => [s.key, s.current, s.suggested])).toEqual([
      ['grade:初三', 30, 40],
      ['concern:学科提分', 15, 0],
    ]);
  });

  it('one click writes the accepted suggestions as new weights and re-scores; ops may read but not accept', async () => {
    expect((await h.req('GET', '/api/reviews/field-lift?month=2026-03', { as: '张敏' })).status).toBe(403);
    expect((await h.req('POST', '/api/reviews/field-lift/accept', { as: '黄蓉', body: { month: '2026-03', keys: ['grade:初三'] } })).status).toBe(403);
    const stale = await h.req('POST', '/api/reviews/field-lift/accept', { as: '系统管理员', body: { month: '2026-03', keys: ['grade:高三'] } });
    expect(stale.status).toBe(409);
    const ok = await h.req('POST', '/api/reviews/field-lift/accept', {
      as: '系统管理员',
      body: { month: '2026-03', keys: ['grade:初三', 'concern:学科提分'] },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.recomputed.changed).toBeGreaterThan(0);
    const weights = (await h.req('GET', '/api/scoring/weights', { as: '系统管理员' })).body.weights;
    expect(weights.find((w: any) => w.field === 'grade' && w.value === '初三').points).toBe(40);
    expect(weights.find((w: any) => w.field === 'concern' && w.value === '学科提分')).toBeUndefined();
    const lead = (await h.req('GET', `/api/leads/${leads.find((l) => l.grade === '初三' && l.concern)!.id}`, { as: '张敏' })).body;
    expect(lead.scoreExplained).toBe('初三 +40, 公众号 +10');
    // Accepted once: the suggestions are gone, a second click is refused.
    const again = await h.req('GET', '/api/reviews/field-lift?month=2026-03', { as: '系统管理员' });
    expect(again.body.suggestions).toEqual([]);
    expect((await h.req('GET', '/api/reviews/field-lift?month=2026-13', { as: '系统管理员' })).status).toBe(400);
    expect((await h.req('GET', '/api/reviews/field-lift?month=2025-06', { as: '系统管理员' })).body).toMatchObject({ leads: 0, items: [], suggestions: [] });
  });
});
