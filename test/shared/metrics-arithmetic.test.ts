import { describe, expect, it } from 'vitest';
import {
  chinaDayOf,
  chinaRange,
  dayString,
  defaultRange,
  demandMatchOf,
  isoWeekStart,
  kpiIsRed,
  kpiMeanHours,
  kpiRatio,
  maturedOutcome,
  monthsCovering,
  profileFilled,
  rangeDays,
  ratio,
  trendPeriod,
  trendPeriods,
  yuanToFen,
  DEFAULT_COURSES,
} from '@lifeline/shared';

const H = 3600_000;

describe('metrics arithmetic', () => {
  it('ratios and KPI values carry their counts, target and red flag', () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(0, 0)).toBeNull();
    expect(kpiRatio('followup48h', 8, 10)).toEqual({ id: 'followup48h', value: 0.8, numerator: 8, denominator: 10, target: 0.85, red: true });
    expect(kpiRatio('followup48h', 9, 10, 0.9).red).toBe(false);
    expect(kpiRatio('survival7d', 0, 0)).toMatchObject({ value: null, red: false });
    expect(kpiMeanHours('flowHealthHours', 3 * H, 2)).toMatchObject({ value: 1.5, numerator: 3, denominator: 2, red: false });
    expect(kpiMeanHours('flowHealthHours', 4 * H, 2).red).toBe(true);
    expect(kpiIsRed('flowHealthHours', null)).toBe(false);
  });

  it('the matured rule: hit within the window, miss once it passed, pending while young and untouched', () => {
    const W = 24 * H;
    expect(maturedOutcome(0, 2 * H, W, 3 * H)).toBe('hit');
    expect(maturedOutcome(0, W, W, 100 * H)).toBe('hit'); // exactly at the window edge counts
    expect(maturedOutcome(0, W + 1, W, 100 * H)).toBe('miss');
    expect(maturedOutcome(0, null, W, W)).toBe('miss');
    expect(maturedOutcome(0, null, W, W - 1)).toBe('pending');
    expect(maturedOutcome(10 * H, 5 * H, W, 11 * H)).toBe('pending'); // a touch before the start does not count
  });

  it('China-time days, ranges, ISO weeks and months', () => {
    const t = Date.parse('2026-01-14T16:30:00Z'); // 2026-01-15 00:30 in China
    expect(chinaDayOf(t)).toBe(20260115);
    expect(dayString(20260115)).toBe('2026-01-15');
    expect(chinaRange('2026-01-15', '2026-01-15')).toEqual({ start: Date.parse('2026-01-15T00:00:00+08:00'), end: Date.parse('2026-01-16T00:00:00+08:00') });
    expect(defaultRange(t)).toEqual({ from: '2025-12-17', to: '2026-01-15' });
    expect(rangeDays('2025-12-17', '2026-01-15')).toBe(30);
    expect(isoWeekStart('2026-01-15')).toBe('2026-01-12');
    expect(isoWeekStart('2026-01-12')).toBe('2026-01-12');
    expect(isoWeekStart('2026-01-11')).toBe('2026-01-05');
    expect(trendPeriod('2026-01-15', 62)).toBe('2026-01-15');
    expect(trendPeriod('2026-01-15', 63)).toBe('2026-01-12');
    expect(trendPeriods('2026-01-13', '2026-01-15')).toEqual(['2026-01-13', '2026-01-14', '2026-01-15']);
    expect(trendPeriods('2025-11-01', '2026-01-15')[0]).toBe('2025-10-27');
    expect(monthsCovering('2025-12-10', '2026-02-03')).toEqual({ from: '2025-12-01', to: '2026-02-28', months: ['2025-12', '2026-01', '2026-02'] });
  });

  it('money, demand match and profile completeness', () => {
    expect(yuanToFen(0.1 + 0.2)).toBe(30);
    expect(yuanToFen(12345.67)).toBe(1234567);
    expect(demandMatchOf('数学提分班', ['学科提分'], DEFAULT_COURSES)).toBe(1);
    expect(demandMatchOf('数学提分班', ['升学政策'], DEFAULT_COURSES)).toBe(0);
    expect(demandMatchOf(null, ['升学政策'], DEFAULT_COURSES)).toBeNull();
    expect(demandMatchOf('钢琴班', ['升学政策'], DEFAULT_COURSES)).toBeNull();
    expect(profileFilled({ name: '王妈妈', city: ' ', grade: '初三', concerns: [] }, ['name', 'city', 'grade', 'concerns'])).toEqual({
      filled: 2,
      required: 4,
    });
  });
});
