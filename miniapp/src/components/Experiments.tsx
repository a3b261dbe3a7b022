import { useEffect, useState } from 'react';
import { Text, View } from '@tarojs/components';
import { api } from '../lib/api';
import { cnDateTime } from '../dashboard/format';

interface Prop {
  n: number;
  successes: number;
  rate: number | null;
  low: number | null;
  high: number | null;
}
interface Metric {
  key: string;
  label: string;
  control: Prop;
  treatment: Prop;
  enough: boolean;
  verdict: string;
}
export interface ExperimentReport {
  id: number;
  status: 'running' | 'stopped' | 'harm_stopped';
  controlVersion: number;
  treatmentVersion: number;
  holdoutShare: number;
  startedAt: number;
  stoppedAt: number | null;
  leads: { control: number; treatment: number };
  metrics: Metric[];
  verdict: string;
}

const STATUS = { running: '进行中', stopped: '已结束', harm_stopped: '已止损' } as const;
const rate = (p: Prop) => (p.rate === null ? '—' : `${(p.rate * 100).toFixed(1)}%`);
const range = (p: Prop) => (p.low === null ? '' : `（${(p.low * 100).toFixed(0)}–${(p.high! * 100).toFixed(0)}%）`);

/**
 * 分配规则 A/B 测试: each test's arms (new rules vs the previous version), the three metrics with their 95 % intervals
 * and sample sizes, and the plain-language verdict (GET /api/routing/experiments). Admins may end a running test.
 */
export function Experiments({ canStop, onChanged, refreshKey }: { canStop: boolean; onChanged?: (msg: string) => void; refreshKey?: unknown }) {
  const [items, setItems] = useState<ExperimentReport[] | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: ExperimentReport[] }>('GET', '/api/routing/experiments').then(
      (r) => setItems(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => void load(), [refreshKey]);
  const stop = async (id: number) => {
    try {
      await api('POST', `/api/routing/experiments/${id}/stop`, { reason: '管理员结束测试' });
      onChanged?.('A/B 测试已结束，新线索全部按最新规则分配');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!items) return <View className="muted">{error || '加载中…'}</View>;
  if (!items.length) return <View className="muted">还没有 A/B 测试：保存新版分配规则时勾选「保留对照组」即可开始。</View>;
  return (
    <View id="experiments">
      {error ? <View className="error">{error}</View> : null}
      {items.slice(0, 5).map((x) => (
        <View className={`experiment experiment--${x.status}`} key={x.id} id={`experiment-${x.id}`}>
          <View className="experiment__head">
            <Text className="person__name">
              v{x.treatmentVersion} 对比 v{x.controlVersion}
            </Text>
            <Text className="muted">
              {' '}
              · {STATUS[x.status]} · 对照组 {Math.round(x.holdoutShare * 100)}% · {cnDateTime(x.startedAt)} 起 · 新规则 {x.leads.treatment} 条 / 旧规则{' '}
              {x.leads.control} 条
            </Text>
          </View>
          <View className="experiment__table">
            <View className="experiment__row experiment__row--head">
              <Text>指标</Text>
              <Text>新规则</Text>
              <Text>旧规则</Text>
            </View>
            {x.metrics.map((m) => (
              <View className="experiment__row" key={m.key}>
                <Text>{m.label}</Text>
                <Text>
                  {rate(m.treatment)}
                  <Text className="muted">
                    {range(m.treatment)} n={m.treatment.n}
                  </Text>
                </Text>
                <Text>
                  {rate(m.control)}
                  <Text className="muted">
                    {range(m.control)} n={m.control.n}
                  </Text>
                </Text>
              </View>
            ))}
          </View>
          <View className="experiment__verdict">{x.verdict}</View>
          {canStop && x.status === 'running' ? (
            <Text className="link" id={`experiment-stop-${x.id}`} onClick={() => void stop(x.id)}>
              结束测试（全部用新规则）
            </Text>
          ) : null}
        </View>
      ))}
    </View>
  );
}
