import { useEffect, useState } from 'react';
import { Picker, Text, View } from '@tarojs/components';
import { api } from '../lib/api';
import { activeCount, presetRange, type Filters, type Preset } from './filters';

interface Option {
  id: number;
  name: string;
}
interface Options {
  units: Option[];
  reps: Option[];
  cities: string[];
  grades: string[];
  channels: string[];
}

const PRESETS: { id: Preset; label: string }[] = [
  { id: 7, label: '近7天' },
  { id: 30, label: '近30天' },
  { id: 90, label: '近90天' },
  { id: 'custom', label: '自定义' },
];

/**
 * Compact filters: the date presets in one row, everything else (centre/team, rep, city, grade, channel) behind
 * a 筛选 button. Reps get the dates only: their numbers are their own.
 */
export function FilterBar({ value, onChange, full, grades }: { value: Filters; onChange: (f: Filters) => void; full: boolean; grades: string[] }) {
  const [open, setOpen] = useState(false);
  const [opts, setOpts] = useState<Options | null>(null);

  useEffect(() => {
    if (!open || opts || !full) return;
    void (async () => {
      const since = presetRange(90);
      const heat = (by: string) =>
        api<{ values: string[] }>('GET', `/api/metrics/journey-heat?by=${by}&from=${since.from}&to=${since.to}`).then(
          (r) => r.values,
          () => [] as string[],
        );
      const [units, users, cities, channels] = await Promise.all([
        api<{ items: Option[] }>('GET', '/api/org-units').then(
          (r) => r.items,
          () => [],
        ),
        api<{ items: (Option & { role: string; active: boolean })[] }>('GET', '/api/users').then(
          (r) => r.items.filter((u) => u.role === 'rep'),
          () => [],
        ),
        heat('city'),
        heat('channel'),
      ]);
      setOpts({ units, reps: users, cities, grades, channels });
    })();
  }, [open, full]);

  const set = (patch: Partial<Filters>) => onChange({ ...value, ...patch });
  const preset = (p: Preset) => (p === 'custom' ? set({ preset: 'custom' }) : set({ preset: p, ...presetRange(p) }));
  const n = activeCount(value);

  return (
    <View className="filters" id="filters">
      <View className="filters__row">
        <View className="chips chips--tight" id="presets">
          {PRESETS.map((p) => (
            <View key={String(p.id)} className={`chip chip--small${value.preset === p.id ? ' chip--on' : ''}`} onClick={() => preset(p.id)}>
              {p.label}
            </View>
          ))}
        </View>
        {full ? (
          <View className={`filters__toggle${n ? ' filters__toggle--on' : ''}`} id="filter-toggle" onClick={() => setOpen(!open)}>
            筛选{n ? `(${n})` : ''} {open ? '▲' : '▼'}
          </View>
        ) : null}
      </View>
      {value.preset === 'custom' ? (
        <View className="filters__dates" id="custom-dates">
          <Picker mode="date" value={value.from} end={value.to} onChange={(e) => set({ from: String(e.detail.value) })}>
            <View className="date-box" id="date-from">
              {value.from}
            </View>
          </Picker>
          <Text className="muted">至</Text>
          <Picker mode="date" value={value.to} start={value.from} onChange={(e) => set({ to: String(e.detail.value) })}>
            <View className="date-box" id="date-to">
              {value.to}
            </View>
          </Picker>
        </View>
      ) : null}
      {open && full ? (
        <View className="filters__panel" id="filter-panel">
          {!opts ? (
            <View className="muted">加载选项…</View>
          ) : (
            <>
              <Select
                label="中心/团队"
                id="f-unit"
                items={opts.units.map((u) => u.name)}
                current={opts.units.find((u) => u.id === value.unitId)?.name}
                onPick={(i) => set({ unitId: i === null ? undefined : opts.units[i].id })}
              />
              <Select
                label="顾问"
                id="f-rep"
                items={opts.reps.map((u) => u.name)}
                current={opts.reps.find((u) => u.id === value.repId)?.name}
                onPick={(i) => set({ repId: i === null ? undefined : opts.reps[i].id })}
              />
              <Select
                label="城市"
                id="f-city"
                items={opts.cities}
                current={value.city}
                onPick={(i) => set({ city: i === null ? undefined : opts.cities[i] })}
              />
              <Select
                label="年级"
                id="f-grade"
                items={opts.grades}
                current={value.grade}
                onPick={(i) => set({ grade: i === null ? undefined : opts.grades[i] })}
              />
              <Select
                label="渠道"
                id="f-channel"
                items={opts.channels}
                current={value.channel}
                onPick={(i) => set({ channel: i === null ? undefined : opts.channels[i] })}
              />
              {n ? (
                <View className="link clear-filters" onClick={() => onChange({ preset: value.preset, from: value.from, to: value.to })}>
                  清除筛选
                </View>
              ) : null}
            </>
          )}
        </View>
      ) : null}
    </View>
  );
}

/** A labelled picker with 全部 as its first choice. */
function Select({ label, id, items, current, onPick }: { label: string; id: string; items: string[]; current?: string; onPick: (i: number | null) => void }) {
  const range = ['全部', ...items];
  return (
    <View className="select">
      <Text className="select__label">{label}</Text>
      <Picker
        mode="selector"
        range={range}
        value={current ? items.indexOf(current) + 1 : 0}
        onChange={(e) => {
          const i = Number(e.detail.value);
          onPick(i === 0 ? null : i - 1);
        }}
      >
        <View className={`select__value${current ? ' select__value--on' : ''}`} id={id}>
          {current ?? '全部'} ▾
        </View>
      </Picker>
    </View>
  );
}
