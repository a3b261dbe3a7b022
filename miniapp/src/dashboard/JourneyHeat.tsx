import { useMemo, useState } from 'react';
import { Text, View } from '@tarojs/components';
import type { DrillResponse, JourneyHeatResponse } from '@lifeline/shared/src/metrics/types';
import { Chart } from './Chart';
import { COLORS } from './echarts';
import { cnDateTime, hours } from './format';
import { HEAT_GRID, heatHeight } from './heat-layout';
import { twoLines } from './LeadHealth';
import { Card } from './parts';
import { useMetric } from './useMetric';

export type HeatBy = JourneyHeatResponse['by'];
const HEAT_BY: { id: HeatBy; label: string }[] = [
  { id: 'city', label: '城市' },
  { id: 'grade', label: '年级' },
  { id: 'channel', label: '渠道' },
  { id: 'unit', label: '组织' },
];

interface Props {
  data: JourneyHeatResponse;
  by: HeatBy;
  onBy: (by: HeatBy) => void;
  /** The active filters as a query string, for the drill-down. */
  query: string;
  /** The signed-in user: drill-downs reload for another viewer. */
  viewerId: number;
}

interface Cell {
  node: string;
  value: string;
}

/** 旅程热力图: mean hours per node by city / grade / channel / unit; tap a cell → its leads → a lead's timeline. */
export function JourneyHeat({ data, by, onBy, query, viewerId }: Props) {
  const [cell, setCell] = useState<Cell | null>(null);
  const [leadId, setLeadId] = useState<number | null>(null);
  const stamp = { updatedAt: data.updatedAt, computedAt: data.computedAt };

  const { option, max } = useMemo(() => {
    const cells = data.cells.filter((c) => c.avgHours !== null);
    const top = Math.max(1, ...cells.map((c) => c.avgHours as number));
    return {
      max: top,
      option: {
        grid: { ...HEAT_GRID, containLabel: false },
        tooltip: {
          confine: true,
          formatter: (p: any) => `${data.values[p.data[1]]} · ${data.nodes[p.data[0]]}<br/>平均 ${hours(p.data[2])}（${p.data[3]} 次）`,
        },
        xAxis: {
          type: 'category',
          data: data.nodes.map(twoLines),
          axisLabel: { fontSize: 10, interval: 0, lineHeight: 12, color: COLORS.text },
          splitArea: { show: true },
        },
        yAxis: {
          type: 'category',
          inverse: true,
          data: data.values,
          axisLabel: { fontSize: 10, color: COLORS.text, width: HEAT_GRID.left - 8, overflow: 'truncate', interval: 0 },
        },
        visualMap: { show: false, dimension: 2, min: 0, max: top, inRange: { color: ['#fff7e6', '#ffc069', '#fa541c', '#a8071a'] } },
        series: [
          {
            type: 'heatmap',
            data: cells.map((c) => [data.nodes.indexOf(c.node), data.values.indexOf(c.value), Math.round((c.avgHours as number) * 10) / 10, c.stays]),
            label: { show: true, fontSize: 10, formatter: (p: any) => (p.data[2] >= 100 ? String(Math.round(p.data[2])) : String(p.data[2])) },
            itemStyle: { borderColor: '#fff', borderWidth: 1 },
            emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } },
          },
        ],
      },
    };
  }, [data]);

  const events = useMemo(
    () => ({
      click: (p: any) => {
        if (!Array.isArray(p?.data)) return;
        setLeadId(null);
        setCell({ node: data.nodes[p.data[0]], value: data.values[p.data[1]] });
      },
    }),
    [data],
  );

  if (leadId !== null)
    return <LeadTimeline viewerId={viewerId} leadId={leadId} onBack={() => setLeadId(null)} backTo={cell ? `${cell.value} · ${cell.node}` : '热力图'} />;
  if (cell) return <DrillList viewerId={viewerId} cell={cell} by={by} query={query} onBack={() => setCell(null)} onLead={setLeadId} />;

  return (
    <View id="journey-heat">
      <Card id="heat-card" title="各节点平均停留（小时）" sub="颜色越深停留越久 · 点色块查看线索" stamp={stamp}>
        <View className="chips heat-by" id="heat-by">
          {HEAT_BY.map((b) => (
            <View key={b.id} className={`chip chip--small${b.id === by ? ' chip--on' : ''}`} onClick={() => onBy(b.id)}>
              按{b.label}
            </View>
          ))}
        </View>
        {data.values.length ? (
          <Chart id="chart-heat" option={option} height={heatHeight(data.values.length)} onEvents={events} />
        ) : (
          <Text className="muted">所选时间内没有完成的节点停留</Text>
        )}
        <View className="heat-legend">
          <Text className="muted">0</Text>
          <View className="heat-legend__bar" />
          <Text className="muted">{hours(max)}</Text>
        </View>
      </Card>
    </View>
  );
}

function DrillList({
  cell,
  by,
  query,
  onBack,
  onLead,
  viewerId,
}: {
  cell: Cell;
  by: HeatBy;
  query: string;
  onBack: () => void;
  onLead: (id: number) => void;
  viewerId: number;
}) {
  const [page, setPage] = useState(1);
  const path = `/api/metrics/drill?${query}&node=${encodeURIComponent(cell.node)}&by=${by}&value=${encodeURIComponent(cell.value)}&page=1&pageSize=${20 * page}`;
  const res = useMetric<DrillResponse>(path, viewerId);
  const label = HEAT_BY.find((b) => b.id === by)?.label ?? '';
  return (
    <View id="drill">
      <View className="back" id="drill-back" onClick={onBack}>
        ‹ 返回热力图
      </View>
      <Card
        id="drill-card"
        title={`${cell.value} · ${cell.node}`}
        sub={`${label}「${cell.value}」在「${cell.node}」停留过的线索${res.data ? `，共 ${res.data.total} 条` : ''}`}
      >
        {res.state === 'forbidden' ? <View className="error">无权查看：{res.message}</View> : null}
        {res.state === 'error' ? <View className="error">加载失败：{res.message}</View> : null}
        {!res.data ? <View className="muted">加载中…</View> : null}
        {res.data?.items.length === 0 ? <View className="muted">没有线索</View> : null}
        {res.data?.items.map((l) => (
          <View className="drill-item" key={l.leadId} id={`drill-${l.leadId}`} onClick={() => onLead(l.leadId)}>
            <View className="drill-item__main">
              <Text className="drill-item__name">{l.customerName ?? '未填称呼'}</Text>
              <Text className="muted"> {l.phone}</Text>
            </View>
            <View className="drill-item__meta">
              {l.ownerName ?? '待分配'} · {l.channel} · 现处「{l.journeyNode}」{l.hoursInNode !== null ? ` · 本节点 ${hours(l.hoursInNode)}` : ''}
            </View>
            <Text className="drill-item__go">›</Text>
          </View>
        ))}
        {res.data && res.data.items.length < res.data.total ? (
          <View className="link more-link" onClick={() => setPage(page + 1)}>
            加载更多
          </View>
        ) : null}
      </Card>
    </View>
  );
}

interface TimelineEntry {
  at: number;
  kind: string;
  text: string;
  actorName: string | null;
}
interface LeadDetail {
  id: number;
  customer?: { name?: string | null; phone?: string | null } | null;
  customerName?: string | null;
  ownerName?: string | null;
  journeyNode?: string;
  channel?: string;
  timeline: TimelineEntry[];
}

function LeadTimeline({ leadId, onBack, backTo, viewerId }: { leadId: number; onBack: () => void; backTo: string; viewerId: number }) {
  const res = useMetric<LeadDetail>(`/api/leads/${leadId}`, viewerId);
  const l = res.data;
  const name = l?.customer?.name ?? l?.customerName ?? `线索 #${leadId}`;
  return (
    <View id="lead-timeline">
      <View className="back" id="timeline-back" onClick={onBack}>
        ‹ 返回 {backTo}
      </View>
      <Card
        id="timeline-card"
        title={`${name} 的旅程`}
        sub={l ? [l.channel, l.ownerName ? `顾问 ${l.ownerName}` : null, l.journeyNode ? `现处「${l.journeyNode}」` : null].filter(Boolean).join(' · ') : ''}
      >
        {res.state === 'error' || res.state === 'forbidden' ? <View className="error">{res.message}</View> : null}
        {!l ? <View className="muted">加载中…</View> : null}
        {l?.timeline.map((e, i) => (
          <View className={`tl tl--${e.kind}`} key={i}>
            <View className="tl__dot" />
            <View className="tl__body">
              <View className="tl__when">
                {cnDateTime(e.at)}
                {e.actorName ? ` · ${e.actorName}` : ''}
              </View>
              <View className="tl__text">{e.text}</View>
            </View>
          </View>
        ))}
      </Card>
    </View>
  );
}
