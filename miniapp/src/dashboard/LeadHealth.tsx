import { useMemo } from 'react';
import { Text, View } from '@tarojs/components';
import type { LeadHealthResponse } from '@lifeline/shared/src/metrics/types';
import { Chart } from './Chart';
import { COLORS } from './echarts';
import { pct } from './format';
import { Card } from './parts';

/** 线索获取 → 线索\n获取: node names on two lines so seven fit a phone's width. */
export const twoLines = (s: string) => (s.length > 3 ? `${s.slice(0, 2)}\n${s.slice(2)}` : s);

const axisText = { fontSize: 10, color: COLORS.text };

/** 线索健康: survival rate, loss per node, high-intent (A-level) share, trend. */
export function LeadHealth({ data, own }: { data: LeadHealthResponse; own: boolean }) {
  const stamp = { updatedAt: data.updatedAt, computedAt: data.computedAt };

  const lossOption = useMemo(
    () => ({
      grid: { left: 34, right: 8, top: 28, bottom: 36 },
      legend: { top: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'axis', confine: true },
      xAxis: { type: 'category', data: data.nodes.map((n) => twoLines(n.node)), axisLabel: { ...axisText, interval: 0, lineHeight: 12 } },
      yAxis: { type: 'value', minInterval: 1, axisLabel: axisText, splitLine: { lineStyle: { color: '#f0f0f0' } } },
      series: [
        { name: '到达', type: 'bar', data: data.nodes.map((n) => n.reached), itemStyle: { color: COLORS.data }, barMaxWidth: 14 },
        { name: '流失', type: 'bar', data: data.nodes.map((n) => n.lost), itemStyle: { color: COLORS.red }, barMaxWidth: 14 },
      ],
    }),
    [data],
  );

  const trendOption = useMemo(() => {
    const periods = data.trend.map((t) => t.period.slice(5));
    const asPct = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);
    return {
      grid: { left: 34, right: 30, top: 28, bottom: 22 },
      legend: { top: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 11 } },
      tooltip: { trigger: 'axis', confine: true },
      xAxis: { type: 'category', data: periods, axisLabel: { ...axisText, hideOverlap: true } },
      yAxis: [
        { type: 'value', min: 0, max: 100, axisLabel: { ...axisText, formatter: '{value}%' }, splitLine: { lineStyle: { color: '#f0f0f0' } } },
        { type: 'value', minInterval: 1, axisLabel: axisText, splitLine: { show: false } },
      ],
      series: [
        { name: '线索数', type: 'bar', yAxisIndex: 1, data: data.trend.map((t) => t.leads), itemStyle: { color: '#d6e4ff' }, barMaxWidth: 10 },
        {
          name: '7日存活率',
          type: 'line',
          data: data.trend.map((t) => asPct(t.survival7d)),
          itemStyle: { color: COLORS.brand },
          symbolSize: 4,
          connectNulls: true,
        },
        {
          name: 'A级占比',
          type: 'line',
          data: data.trend.map((t) => asPct(t.highIntentShare)),
          itemStyle: { color: COLORS.data2 },
          symbolSize: 4,
          connectNulls: true,
        },
      ],
    };
  }, [data]);

  const lostTotal = data.nodes.reduce((s, n) => s + n.lost, 0);
  const worst = [...data.nodes].sort((a, b) => b.lost - a.lost)[0];

  return (
    <View id="lead-health">
      <Card id="health-summary" title={own ? '我的线索健康' : '线索健康'} sub={`${data.scope.from} 至 ${data.scope.to}`} stamp={stamp}>
        <View className="stats">
          <View className="stat">
            <View className="stat__value" id="health-leads">
              {data.leads}
            </View>
            <View className="stat__label">新增线索</View>
          </View>
          <View className={`stat${data.survival7d.red ? ' stat--red' : ''}`}>
            <View className="stat__value" id="health-survival">
              {pct(data.survival7d.value)}
            </View>
            <View className="stat__label">7日存活率（目标≥{pct(data.survival7d.target, 0)}）</View>
          </View>
          <View className="stat">
            <View className="stat__value" id="health-a-share">
              {pct(data.highIntent.share)}
            </View>
            <View className="stat__label">
              高意向A级占比（{data.highIntent.count}条，≥{data.highIntent.levelA}分）
            </View>
          </View>
        </View>
      </Card>
      <Card
        id="health-loss"
        title="各节点流失"
        sub={lostTotal ? `共流失 ${lostTotal} 条${worst?.lost ? `，最多在「${worst.node}」` : ''}` : '暂无流失'}
        stamp={stamp}
      >
        <Chart id="chart-loss" option={lossOption} height={210} />
      </Card>
      <Card id="health-trend" title="趋势" sub="7日存活率、A级占比与每日线索数" stamp={stamp}>
        {data.trend.length ? <Chart id="chart-trend" option={trendOption} height={200} /> : <Text className="muted">所选时间内没有线索</Text>}
      </Card>
    </View>
  );
}
