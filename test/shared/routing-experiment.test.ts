import { describe, expect, it } from 'vitest';
import { armOf, compareArms, difference, harmFound, normalQuantile, proportion, type ExperimentLead } from '@lifeline/shared/src/routing';
import { familyZ } from '@lifeline/shared/src/reviews';

describe('routing A/B test: stable assignment and the statistics of the report', () => {
  it('10,000 leads: ≈ 10 % on the control (±2 %), the same lead always in the same arm', () => {
    const arms = Array.from({ length: 10_000 }, (_, i) => armOf('3f9a1c0b7d2e4a68', i + 1, 0.1));
    const control = arms.filter((a) => a === 'control').length / arms.length;
    expect(control).toBeGreaterThan(0.08);
    expect(control).toBeLessThan(0.12);
    expect(Array.from({ length: 10_000 }, (_, i) => armOf('3f9a1c0b7d2e4a68', i + 1, 0.1))).toEqual(arms);
    // Consecutive ids do not cluster: every block of 1,000 ids holds between 5 % and 15 % control leads.
    for (let b = 0; b < 10; b++) {
      const share = arms.slice(b * 1000, b * 1000 + 1000).filter((a) => a === 'control').length / 1000;
      expect(share).toBeGreaterThan(0.05);
      expect(share).toBeLessThan(0.15);
    }
    // Another experiment (another salt) splits the same leads independently: about 10 % of its control were control before.
    const other = Array.from({ length: 10_000 }, (_, i) => armOf('0011aa22bb33cc44', i + 1, 0.1));
    const both = arms.filter((a, i) => a === 'control' && other[i] === 'control').length;
    expect(both / arms.filter((a) => a === 'control').length).toBeLessThan(0.2);
  });

  it('Wilson and Newcombe intervals match the textbook values', () => {
    // Newcombe (1998), example (a): 56/70 vs 48/80 → difference 0.2, interval 0.0524 … 0.3339.
    const a = proportion(56, 70);
    const b = proportion(48, 80);
    expect(a.low).toBeCloseTo(0.6918, 3); // Wilson 95 %: 0.6918 … 0.8770
    expect(a.high).toBeCloseTo(0.877, 3);
    const d = difference(a, b)!;
    expect(d.diff).toBeCloseTo(0.2, 10);
    expect(d.low).toBeCloseTo(0.0524, 3);
    expect(d.high).toBeCloseTo(0.3339, 3);
    expect(proportion(0, 0).rate).toBeNull();
  });

  it('the normal quantile matches the reference values; a family of m comparisons widens each interval (Bonferroni)', () => {
    // Python's statistics.NormalDist().inv_cdf at the same p.
    for (const [p, z] of [
      [0.975, 1.9599639845400536],
      [0.01, -2.3263478740408408],
      [0.999, 3.090232306167813],
      [0.5, 0],
    ])
      expect(normalQuantile(p)).toBeCloseTo(z, 8);
    expect(familyZ(1)).toBeCloseTo(1.9599639845400536, 8);
    expect(familyZ(33)).toBeCloseTo(3.1717657833516224, 6);
  });

  it('only leads old enough for a window are judged; too few leads says so; harm needs significance', () => {
    const DAY = 86_400_000;
    const now = 100 * DAY;
    const leads: ExperimentLead[] = [
      ...Array.from({ length: 40 }, (_, i) => ({
        arm: 'control' as const,
        createdAt: now - 40 * DAY,
        firstFollowupAt: i < 36 ? now - 40 * DAY + 3_600_000 : null,
        signedAt: null,
      })),
      ...Array.from({ length: 40 }, (_, i) => ({
        arm: 'treatment' as const,
        createdAt: now - 40 * DAY,
        firstFollowupAt: i < 10 ? now - 40 * DAY + 3_600_000 : null,
        signedAt: null,
      })),
      { arm: 'treatment', createdAt: now - 3_600_000, firstFollowupAt: null, signedAt: null }, // 1 h old: not judged yet
    ];
    const [c24] = compareArms(leads, now, 30);
    expect(c24.treatment.n).toBe(40);
    expect(c24.verdict).toMatch(/^新规则更差：25\.0% 对 90\.0%/);
    expect(harmFound(c24, 0.1)).toBe(true);
    expect(harmFound(compareArms(leads, now, 50)[0], 0.1)).toBe(false); // below the minimum sample
    expect(compareArms(leads, now, 50)[0].verdict).toContain('样本不足');
  });
});
