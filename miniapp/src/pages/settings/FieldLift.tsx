import { useEffect, useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import type { FeatureLift, WeightSuggestion } from '@lifeline/shared/src/reviews/field-lift';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';

interface Review {
  month: string;
  leads: number;
  signed: number;
  rate: number | null;
  minSample: number;
  judged: number;
  items: FeatureLift[];
  carriesNothing: string[];
  suggestions: WeightSuggestion[];
}

/** Last month, China time: the review is of a month whose leads have had time to sign. */
function lastMonth(): string {
  const d = new Date(Date.now() + 8 * 3_600_000);
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

/**
 * 字段复盘 (docs/field-lift.md): which profile values, tags, quick phrases and intent signals went with signing in a
 * month, with intervals, what carries nothing, and the weight changes the data suggests — admins accept them in one click.
 */
export function FieldLiftSection({ canAccept, onSaved }: { canAccept: boolean; onSaved: (msg: string) => void }) {
  const [month, setMonth] = useState(lastMonth);
  const [review, setReview] = useState<Review | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState('');
  const load = (m: string) =>
    api<Review>('GET', `/api/reviews/field-lift?month=${m}`).then(
      (r) => {
        setReview(r);
        setPicked(r.suggestions.map((s) => s.key));
        setError('');
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => void load(month), []);
  const accept = async () => {
    try {
      const r = await api<{ recomputed: { changed: number } }>('POST', '/api/reviews/field-lift/accept', { month, keys: picked });
      onSaved(`已按建议更新评分权重，${r.recomputed.changed} 条线索的评分已更新`);
      await load(month);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const label = (s: WeightSuggestion) => `${s.field}「${s.value}」${s.current ?? '无'} → ${s.suggested || '去掉'}`;
  return (
    <View id="field-lift">
      <View className="field__input">
        <Text className="label">月份</Text>
        <Input
          className="input"
          id="field-lift-month"
          value={month}
          onInput={(e) => setMonth(e.detail.value)}
          onConfirm={() => void load(month)}
          onBlur={() => void load(month)}
        />
      </View>
      {error ? <View className="error">{error}</View> : null}
      {review ? (
        <>
          <View className="muted" id="field-lift-summary">
            {review.month}：{review.leads} 条新线索，签约 {review.signed} 条（{pct(review.rate)}）；每边至少 {review.minSample} 条才下结论，
            {review.judged} 项同时比较，区间已按项数放宽（整体 95%）。
          </View>
          {review.suggestions.length ? (
            <View className="preview" id="field-lift-suggestions">
              <View className="label">权重建议</View>
              {review.suggestions.map((s) => (
                <View key={s.key} className="muted">
                  {s.why}
                </View>
              ))}
              <Chips
                small
                items={review.suggestions.map(label)}
                selected={review.suggestions.filter((s) => picked.includes(s.key)).map(label)}
                onTap={(l) => {
                  const key = review.suggestions.find((s) => label(s) === l)!.key;
                  setPicked(picked.includes(key) ? picked.filter((k) => k !== key) : [...picked, key]);
                }}
              />
              {canAccept ? (
                <Text className="todo-btn todo-btn--primary" id="field-lift-accept" onClick={picked.length ? () => void accept() : undefined}>
                  采纳选中的建议（写成新权重并重算评分）
                </Text>
              ) : null}
            </View>
          ) : (
            <View className="muted">这个月的数据没有权重建议。</View>
          )}
          <View className="label">各字段与签约</View>
          {review.items.slice(0, 30).map((i) => (
            <View key={i.key} className={`lift lift--${i.effect}`}>
              <Text className="person__name">{i.label}</Text>
              <Text className="muted"> {i.verdict}</Text>
            </View>
          ))}
          {review.carriesNothing.length ? <View className="muted">看不出作用：{review.carriesNothing.join('、')}</View> : null}
        </>
      ) : null}
    </View>
  );
}
