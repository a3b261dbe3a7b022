import { useEffect, useMemo, useState } from 'react';
import { Text, View } from '@tarojs/components';
import type { MissCurve } from '@lifeline/shared/src/alarms/miss-model';
import { api } from '../lib/api';
import { Chart } from './Chart';

interface Model {
  computedAt: number | null;
  leads: number;
  missRatio: number;
  curves: MissCurve[];
  warnings: { grade: string; hours: number; source: 'learned' | 'fixed' }[];
}

/**
 * 未联系时长与签约机会 (docs/alarms.md, "Learned early warning"): per grade, the chance to sign of leads still untouched
 * after h hours, from the company's own history, and where the early warning sits (learned, or the fixed rule).
 */
export function MissCurves() {
  const [m, setM] = useState<Model | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    void api<Model>('GET', '/api/alarms/miss-model').then(setM, (e: Error) => setError(e.message));
  }, []);
  const option = useMemo(() => {
    const curves = (m?.curves ?? []).filter((c) => c.baseline !== null);
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v === null ? '样本不足' : `${(v * 100).toFixed(1)}%`) },
      legend: { top: 0 },
      grid: { left: 44, right: 16, top: 32, bottom: 28 },
      xAxis: { type: 'category', name: '未联系(小时)', nameLocation: 'middle', nameGap: 22, data: curves[0]?.points.map((p) => p.hours) ?? [] },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
      series: curves.map((c) => ({
        name: c.segment,
        type: 'line',
        connectNulls: false,
        data: c.points.map((p) => p.chance),
        markLine: c.warnHours === null ? undefined : { symbol: 'none', label: { formatter: `${c.segment}预警` }, data: [{ xAxis: String(c.warnHours) }] },
      })),
    };
  }, [m]);
  if (!m) return error ? null : <View className="muted">加载中…</View>;
  return (
    <View className="dcard" id="miss-curves">
      <View className="dcard__head">
        <Text className="dcard__title">未联系时长与签约机会</Text>
        <Text className="dcard__sub">
          按本公司历史{m.leads ? `（${m.leads} 条线索）` : ''}；机会降到平常的 {Math.round(m.missRatio * 100)}% 以下时预警
        </Text>
      </View>
      {m.curves.some((c) => c.baseline !== null) ? (
        <Chart id="chart-miss" option={option} height={240} />
      ) : (
        <View className="muted">历史数据还不够，暂用固定规则。</View>
      )}
      <View className="muted" id="miss-warnings">
        {m.warnings.map((w) => `${w.grade}：未联系 ${w.hours} 小时预警（${w.source === 'learned' ? '按历史学到' : '固定规则'}）`).join('；') ||
          '没有高风险预警'}
      </View>
    </View>
  );
}
