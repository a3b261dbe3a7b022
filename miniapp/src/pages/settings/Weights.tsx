import { useEffect, useRef, useState } from 'react';
import { Text, View } from '@tarojs/components';
import { Range } from '../../components/Range';
import type { ScoreWeight } from '@lifeline/shared/src/scoring';
import { api } from '../../lib/api';
import { sendWithConfirmation } from '../../lib/confirm';

interface Preview {
  days: number;
  leads: number;
  capped: boolean;
  aLevel: { before: number; after: number };
  examples: { leadId: number; customerName: string; channel: string; before: Scored; after: Scored }[];
}
interface Scored {
  score: number;
  level: string;
  breakdown: { label: string; points: number }[];
}

const FIELD_LABELS: Record<string, string> = {
  grade: '年级',
  channel: '渠道',
  concern: '关注点',
  city: '城市',
  province: '省份',
  tag: '标签',
  campaign: '活动',
  carrier: '运营商',
};

/**
 * 评分权重 as sliders (销售主管自己拖动滑块就能调整权重): every change shows, before saving, how many of the last 30
 * days' leads would be A-level and three example leads with their new breakdown.
 */
export function WeightsSection({ onSaved }: { onSaved: (msg: string) => void }) {
  const [weights, setWeights] = useState<ScoreWeight[] | null>(null);
  const [levelA, setLevelA] = useState(60);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState('');
  const [saving, setSaving] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    void api<{ weights: ScoreWeight[]; levelA: number }>('GET', '/api/scoring/weights').then(
      (r) => {
        setWeights(r.weights);
        setLevelA(r.levelA);
      },
      (e: Error) => setError(e.message),
    );
  }, []);

  // The preview follows the sliders (debounced: a drag is many changes).
  useEffect(() => {
    if (!weights) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      void api<Preview>('POST', '/api/scoring/preview', { weights, levelA }).then(
        (p) => {
          setPreview(p);
          setError('');
        },
        (e: Error) => setError(e.message),
      );
    }, 250);
  }, [weights, levelA]);

  const save = async () => {
    if (!weights) return;
    setSaving(true);
    try {
      const r = await sendWithConfirmation((confirm) =>
        api<{ recomputed: { changed: number } }>('PUT', '/api/scoring/weights', confirm ? { weights, levelA, confirm } : { weights, levelA }),
      );
      if (!r) return;
      onSaved(`评分权重已保存，${r.recomputed.changed} 条线索的评分已更新`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };

  if (!weights) return <View className="muted">{error || '加载中…'}</View>;
  return (
    <View id="weights">
      {weights.map((w, i) => (
        <View className="slider-row" key={`${w.field}:${w.value}`} id={`w-${i}`}>
          <Text className="slider-row__label">
            {FIELD_LABELS[w.field] ?? w.field}「{w.label ?? w.value}」
          </Text>
          <View className="slider-row__slider">
            <Range
              min={0}
              max={60}
              step={5}
              value={w.points}
              color="#fa2c19"
              onChange={(v) => setWeights(weights.map((x, j) => (j === i ? { ...x, points: v } : x)))}
            />
          </View>
          <Text className="slider-row__value">+{w.points}</Text>
        </View>
      ))}
      <View className="slider-row" id="w-levelA">
        <Text className="slider-row__label">A级门槛（分）</Text>
        <View className="slider-row__slider">
          <Range min={10} max={150} step={5} value={levelA} color="#1677ff" onChange={setLevelA} />
        </View>
        <Text className="slider-row__value">{levelA}</Text>
      </View>
      {preview ? <PreviewBox p={preview} /> : null}
      {error ? <View className="error">{error}</View> : null}
      <Text className="todo-btn todo-btn--primary settings-save" id="weights-save" onClick={saving ? undefined : () => void save()}>
        {saving ? '保存中…' : '保存并重算评分'}
      </Text>
    </View>
  );
}

function PreviewBox({ p }: { p: Preview }) {
  const delta = p.aLevel.after - p.aLevel.before;
  return (
    <View className="preview" id="weights-preview">
      <View className="preview__head" id="preview-a">
        近{p.days}天 {p.leads} 条线索中，A级 <Text className="preview__num">{p.aLevel.after}</Text> 条
        <Text className={delta > 0 ? 'up' : delta < 0 ? 'down' : 'muted'}>
          （现在 {p.aLevel.before} 条{delta ? `，${delta > 0 ? '+' : ''}${delta}` : '，不变'}）
        </Text>
        {p.capped ? <Text className="muted">（按最新的 {p.leads} 条估算）</Text> : null}
      </View>
      {p.examples.map((x) => (
        <View className="preview__ex" key={x.leadId}>
          <Text className="preview__name">
            {x.customerName} · {x.channel}
          </Text>
          <View className="muted">
            {x.before.score}分 {x.before.level}级 →{' '}
            <Text className="preview__after">
              {x.after.score}分 {x.after.level}级
            </Text>
          </View>
          <View className="muted">{x.after.breakdown.map((b) => `${b.label} +${b.points}`).join('，') || '无加分项'}</View>
        </View>
      ))}
    </View>
  );
}
