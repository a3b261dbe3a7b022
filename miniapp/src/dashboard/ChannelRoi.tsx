import { useMemo, useState } from 'react';
import { Input, Picker, Text, View } from '@tarojs/components';
import type { ChannelRoiResponse } from '@lifeline/shared/src/metrics/types';
import { api } from '../lib/api';
import { Chart } from './Chart';
import { COLORS } from './echarts';
import { cnMonth, pct, yuan } from './format';
import { Card } from './parts';

/** A horizontal bar chart, one bar per channel, names in full (wrapped, never cut), on its own axis. */
function barsOption(names: string[], series: Record<string, unknown>, axis: Record<string, unknown>) {
  return {
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', confine: true },
    xAxis: { type: 'value', axisLabel: { fontSize: 10 }, splitLine: { lineStyle: { color: '#f0f0f0' } }, ...axis },
    yAxis: { type: 'category', data: names, axisLabel: { fontSize: 11, color: COLORS.text, width: 96, overflow: 'break', lineHeight: 13 } },
    series: [{ type: 'bar', barMaxWidth: 12, label: { show: true, position: 'right', fontSize: 10 }, ...series }],
  };
}

/** 渠道ROI: leads, cost per lead and per signing, 7-day retention, signings, revenue, ROI and first-deal cycle by channel. */
export function ChannelRoi({ data, canEditSpend, onSpendSaved }: { data: ChannelRoiResponse; canEditSpend: boolean; onSpendSaved: () => void }) {
  const stamp = { updatedAt: data.updatedAt, computedAt: data.computedAt };
  const rows = useMemo(() => [...data.channels].sort((a, b) => b.leads - a.leads), [data]);
  // Counts and percentages never share an axis: one chart each.
  const [leadsOption, retentionOption] = useMemo(() => {
    const rev = [...rows].reverse();
    const names = rev.map((r) => r.channel);
    return [
      barsOption(names, { name: '线索数', data: rev.map((r) => r.leads), itemStyle: { color: COLORS.data } }, { minInterval: 1 }),
      barsOption(
        names,
        {
          name: '7日留存率',
          data: rev.map((r) => ({
            value: r.retention7d.value === null ? null : Math.round(r.retention7d.value * 1000) / 10,
            itemStyle: { color: r.retention7d.red ? COLORS.red : COLORS.data2 },
          })),
          label: { show: true, position: 'right', fontSize: 10, formatter: (p: any) => (p.value == null ? '' : `${p.value}%`) },
        },
        { min: 0, max: 100, axisLabel: { fontSize: 10, formatter: '{value}%' } },
      ),
    ];
  }, [rows]);
  const chartHeight = 24 + rows.length * 36;
  const spendNote = data.spendBasis === 'share' ? '花费按本范围线索占全公司同渠道线索的比例分摊（单条成本与全公司一致）' : '花费为全公司录入的所选月份花费';

  return (
    <View id="channel-roi">
      <Card id="roi-chart" title="各渠道线索数" sub={`花费月份：${data.months.join('、') || '—'}`} stamp={stamp}>
        {rows.length ? <Chart id="chart-roi" option={leadsOption} height={chartHeight} /> : <Text className="muted">所选时间内没有线索</Text>}
      </Card>
      {rows.length ? (
        <Card id="roi-retention" title="各渠道7日留存率" sub="目标 ≥ 75%，低于目标标红" stamp={stamp}>
          <Chart id="chart-retention" option={retentionOption} height={chartHeight} />
        </Card>
      ) : null}
      <Card id="roi-table" title="渠道明细" sub={`${spendNote}；签约额 = 财务回款 + 其余签约按课程标价；ROI = 签约额 ÷ 花费，低于 100% 标红`} stamp={stamp}>
        {rows.map((r) => (
          <View className="chan" key={r.channel} id={`chan-${r.channel}`}>
            <View className="chan__name">{r.channel}</View>
            <View className="chan__grid">
              <View className="cell">
                <View className="cell__v">{r.leads}</View>
                <View className="cell__l">线索</View>
              </View>
              <View className="cell">
                <View className="cell__v">{yuan(r.spend)}</View>
                <View className="cell__l">花费</View>
              </View>
              <View className="cell">
                <View className="cell__v chan__cpl">{yuan(r.costPerLead)}</View>
                <View className="cell__l">单条成本</View>
              </View>
              <View className={`cell${r.retention7d.red ? ' cell--red' : ''}`}>
                <View className="cell__v">{pct(r.retention7d.value, 0)}</View>
                <View className="cell__l">7日留存</View>
              </View>
              <View className="cell">
                <View className="cell__v">{r.signed}</View>
                <View className="cell__l">签约</View>
              </View>
              <View className="cell">
                <View className="cell__v">{r.firstDealDays === null ? '—' : `${r.firstDealDays.toFixed(1).replace(/\.0$/, '')}天`}</View>
                <View className="cell__l">首单周期</View>
              </View>
              <View className="cell">
                <View className="cell__v chan__revenue">{yuan(r.revenue)}</View>
                <View className="cell__l">签约额{r.revenuePaid ? `（含回款 ${yuan(r.revenuePaid)}）` : ''}</View>
              </View>
              <View className="cell">
                <View className="cell__v chan__cps">{yuan(r.costPerSigning)}</View>
                <View className="cell__l">单签成本</View>
              </View>
              <View className={`cell${r.roi !== null && r.roi < 1 ? ' cell--red' : ''}`}>
                <View className="cell__v chan__roi">{r.roi === null ? '—' : pct(r.roi, 0)}</View>
                <View className="cell__l">ROI</View>
              </View>
            </View>
          </View>
        ))}
      </Card>
      {canEditSpend ? <SpendForm channels={rows.map((r) => r.channel)} months={data.months} onSaved={onSpendSaved} /> : null}
    </View>
  );
}

/** Ops/admin enter what a channel cost in a month (PUT /api/metrics/channel-spend); cost per lead follows. */
function SpendForm({ channels, months, onSaved }: { channels: string[]; months: string[]; onSaved: () => void }) {
  const [channel, setChannel] = useState(channels[0] ?? '');
  const [month, setMonth] = useState(months[months.length - 1] ?? cnMonth(Date.now()));
  const [amount, setAmount] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const value = Number(amount);
    if (!channel.trim()) return setMsg({ ok: false, text: '请选择或填写渠道' });
    if (!amount.trim() || !Number.isFinite(value) || value < 0) return setMsg({ ok: false, text: '请填写金额（元，不能为负）' });
    setBusy(true);
    try {
      await api('PUT', '/api/metrics/channel-spend', { channel: channel.trim(), month, amount: Math.round(value * 100) / 100 });
      setMsg({ ok: true, text: `已保存：${channel} ${month} 花费 ${yuan(value)}` });
      setAmount('');
      onSaved();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card id="spend-form" title="录入渠道花费" sub="按渠道和月份录入，重复录入会覆盖">
      <View className="label">渠道</View>
      {channels.length ? (
        <Picker mode="selector" range={channels} onChange={(e) => setChannel(channels[Number(e.detail.value)])}>
          <View className="input picker" id="spend-channel">
            {channel || '选择渠道'} ▾
          </View>
        </Picker>
      ) : (
        <Input id="spend-channel-text" className="input" value={channel} placeholder="渠道标签" onInput={(e) => setChannel(e.detail.value)} />
      )}
      <View className="row2">
        <View className="row2__col">
          <View className="label">月份</View>
          <Picker mode="date" fields="month" value={`${month}-01`} onChange={(e) => setMonth(String(e.detail.value).slice(0, 7))}>
            <View className="input picker" id="spend-month">
              {month} ▾
            </View>
          </Picker>
        </View>
        <View className="row2__col">
          <View className="label">金额（元）</View>
          <Input id="spend-amount" className="input" type="digit" value={amount} placeholder="如 5000" onInput={(e) => setAmount(e.detail.value)} />
        </View>
      </View>
      {msg ? (
        <View className={msg.ok ? 'ok-text' : 'error'} id="spend-msg">
          {msg.text}
        </View>
      ) : null}
      <View className={`btn${busy ? ' btn--busy' : ''}`} id="spend-save" onClick={() => void save()}>
        {busy ? '保存中…' : '保存花费'}
      </View>
    </Card>
  );
}
