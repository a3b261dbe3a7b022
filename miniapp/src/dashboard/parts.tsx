import type { ReactNode } from 'react';
import Taro from '@tarojs/taro';
import { Text, View } from '@tarojs/components';
import { KPI_DEFINITIONS, KPI_IDS } from '@lifeline/shared/src/metrics/definitions';
import type { KpisResponse } from '@lifeline/shared/src/metrics/types';
import { cnClock, kpiTargetText, kpiText } from './format';
import type { Loaded } from './useMetric';

/** "数据更新于 14:03:21": the newest event reflected in the figures (or when they were computed, if none). */
export function Stamp({ updatedAt, computedAt }: { updatedAt: number | null | undefined; computedAt?: number }) {
  const text = updatedAt ? `数据更新于 ${cnClock(updatedAt)}` : computedAt ? `暂无数据 · 计算于 ${cnClock(computedAt)}` : '';
  return text ? <View className="stamp">{text}</View> : null;
}

interface CardProps {
  id: string;
  title: string;
  sub?: string;
  stamp?: { updatedAt: number | null; computedAt?: number } | null;
  children: ReactNode;
  extra?: ReactNode;
}

export function Card({ id, title, sub, stamp, children, extra }: CardProps) {
  return (
    <View className="dcard" id={id}>
      <View className="dcard__head">
        <View>
          <Text className="dcard__title">{title}</Text>
          {sub ? <Text className="dcard__sub">{sub}</Text> : null}
        </View>
        {extra}
      </View>
      {children}
      {stamp ? <Stamp updatedAt={stamp.updatedAt} computedAt={stamp.computedAt} /> : null}
    </View>
  );
}

export function Forbidden({ title, message }: { title: string; message?: string }) {
  return (
    <View className="forbidden" id="forbidden">
      <View className="forbidden__icon">限</View>
      <View className="forbidden__title">无权查看「{title}」</View>
      <View className="forbidden__text">{message || '该看板仅对主管、运营和总监开放。'}</View>
      <View className="forbidden__text">顾问可在「我的数据」查看本人的数字。</View>
    </View>
  );
}

/** Loading / error / forbidden around a loaded result; children render only with data. */
export function Gate<T>({ res, title, children }: { res: Loaded<T>; title: string; children: (data: T) => ReactNode }) {
  if (res.state === 'forbidden') return <Forbidden title={title} message={res.message} />;
  if (res.state === 'error' && !res.data) return <View className="error dash-error">加载失败：{res.message}</View>;
  if (!res.data) return <View className="muted dash-loading">加载中…</View>;
  return <>{children(res.data)}</>;
}

/** The seven KPIs with target and red state; tap one for its exact definition. */
export function KpiStrip({ data }: { data: KpisResponse }) {
  const explain = (id: (typeof KPI_IDS)[number]) => {
    const d = KPI_DEFINITIONS[id];
    const v = data.kpis[id];
    const counts = d.unit === 'hours' ? `${v.denominator} 条线索的平均值` : `${v.numerator} / ${v.denominator}`;
    void Taro.showModal({
      title: d.label,
      content: `${d.definition}。\n${kpiTargetText(id, v.target)}，当前 ${kpiText(id, v.value)}（${counts}）`,
      showCancel: false,
    });
  };
  return (
    <View className="kpis" id="kpi-strip">
      {KPI_IDS.map((id) => {
        const v = data.kpis[id];
        return (
          <View key={id} id={`kpi-${id}`} className={`kpi${v.red ? ' kpi--red' : ''}`} onClick={() => explain(id)}>
            <View className="kpi__label">{KPI_DEFINITIONS[id].label}</View>
            <View className="kpi__value">{kpiText(id, v.value)}</View>
            <View className="kpi__target">{kpiTargetText(id, v.target)}</View>
          </View>
        );
      })}
    </View>
  );
}
