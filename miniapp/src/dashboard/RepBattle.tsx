import { useMemo } from 'react';
import { Text, View } from '@tarojs/components';
import type { RepBattleResponse, RepRow } from '@lifeline/shared/src/metrics/types';
import { Chart } from './Chart';
import { COLORS } from './echarts';
import { pct } from './format';
import { Card } from './parts';

const is48Red = (r: RepRow, threshold: number) => r.followup48h.red || (r.followup48h.value !== null && r.followup48h.value < threshold);

/** 顾问作战图: per rep backlog, overdue, 48 h follow-up rate, trial conversion, scripts used; past threshold = red. */
export function RepBattle({ data }: { data: RepBattleResponse }) {
  const t = data.threshold48h;
  const stamp = { updatedAt: data.updatedAt, computedAt: data.computedAt };
  const reps = useMemo(() => [...data.reps].sort((a, b) => (a.followup48h.value ?? 2) - (b.followup48h.value ?? 2)), [data]);
  const redCount = reps.filter((r) => is48Red(r, t)).length;

  const option = useMemo(() => {
    const rows = [...reps].reverse(); // lowest rate at the top of a horizontal bar chart
    return {
      grid: { left: 50, right: 36, top: 6, bottom: 20 },
      tooltip: { trigger: 'axis', confine: true, valueFormatter: (v: number | null) => (v === null ? '—' : `${v}%`) },
      xAxis: { type: 'value', min: 0, max: 100, axisLabel: { fontSize: 10, formatter: '{value}%' }, splitLine: { lineStyle: { color: '#f0f0f0' } } },
      yAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { fontSize: 11, color: COLORS.text } },
      series: [
        {
          name: '48小时跟进率',
          type: 'bar',
          barMaxWidth: 14,
          data: rows.map((r) => ({
            value: r.followup48h.value === null ? null : Math.round(r.followup48h.value * 1000) / 10,
            itemStyle: { color: is48Red(r, t) ? COLORS.red : COLORS.data },
          })),
          label: { show: true, position: 'right', fontSize: 10, formatter: (p: any) => (p.value === null || p.value === undefined ? '—' : `${p.value}%`) },
          markLine: {
            symbol: 'none',
            silent: true,
            data: [{ xAxis: t * 100 }],
            lineStyle: { color: COLORS.brand, type: 'dashed' },
            label: { formatter: `${Math.round(t * 100)}%`, fontSize: 10, color: COLORS.brand },
          },
        },
      ],
    };
  }, [reps, t]);

  return (
    <View id="rep-battle">
      <Card id="battle-chart" title="48小时跟进率" sub={`低于 ${pct(t, 0)} 标红${redCount ? ` · ${redCount} 人未达标` : ' · 全部达标'}`} stamp={stamp}>
        {reps.length ? <Chart id="chart-battle" option={option} height={36 + reps.length * 28} /> : <Text className="muted">没有顾问数据</Text>}
      </Card>
      <Card id="battle-table" title="顾问明细" sub="积压 = 未结束线索；逾期 = 下一步已过期未跟进；协同 = 作为协同人的在跟线索（不计入指标）" stamp={stamp}>
        <View className="table">
          <View className="tr th">
            <Text className="td td--name">顾问</Text>
            <Text className="td">积压</Text>
            <Text className="td">逾期</Text>
            <Text className="td">48h跟进</Text>
            <Text className="td">试听转化</Text>
            <Text className="td">话术</Text>
            <Text className="td">协同</Text>
          </View>
          {reps.map((r) => (
            <View className="tr" key={r.repId} id={`rep-${r.repId}`}>
              <View className="td td--name">
                <View className="rep-name">{r.name}</View>
                {r.unitName ? <View className="rep-unit">{r.unitName.replace(/^.*-/, '')}</View> : null}
              </View>
              <Text className="td">{r.backlog}</Text>
              <Text className={`td${r.overdue > 0 ? ' td--warn' : ''}`}>{r.overdue}</Text>
              <Text className={`td${is48Red(r, t) ? ' td--red' : ''}`}>{pct(r.followup48h.value, 0)}</Text>
              <Text className="td">{pct(r.trialConversion.value, 0)}</Text>
              <Text className="td">{r.scriptsUsed}</Text>
              <Text className="td">{r.coOwned ?? 0}</Text>
            </View>
          ))}
        </View>
      </Card>
    </View>
  );
}
