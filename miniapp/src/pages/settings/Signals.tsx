import { useEffect, useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import { detectSignals, type SignalClass, type SignalSettings } from '@lifeline/shared/src/signals/rules';
import { signalSettingsPatchSchema } from '@lifeline/shared/src/signals/schemas';
import { Range } from '../../components/Range';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';

const phrasesOf = (s: string) =>
  s
    .split(/[,，、]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * 意向信号 (docs/signals.md): the phrase classes that move a lead's score when a customer says them (in a chat, a
 * follow-up, a voice note), the static share, the half-life, how long chat text is kept, and whether a supervisor hears
 * about a lead that turns A-level. A try-it box runs the server's exact matching rule on a sentence.
 */
export function SignalsSection({ onSaved }: { onSaved: (msg: string) => void }) {
  const [s, setS] = useState<SignalSettings | null>(null);
  const [error, setError] = useState('');
  const [saving, setSaving] = useState(false);
  const [sample, setSample] = useState('孩子在学而思上课，你们学费多少钱？');

  useEffect(() => {
    void api<{ settings: SignalSettings }>('GET', '/api/signals/settings').then(
      (r) => setS(r.settings),
      (e: Error) => setError(e.message),
    );
  }, []);
  if (!s) return <View className="muted">{error || '加载中…'}</View>;

  const setClass = (i: number, c: SignalClass | null) =>
    setS({ ...s, classes: c ? s.classes.map((x, j) => (j === i ? c : x)) : s.classes.filter((_, j) => j !== i) });
  const save = async () => {
    const parsed = signalSettingsPatchSchema.safeParse(s);
    if (!parsed.success) return setError(parsed.error.issues[0]?.message ?? '设置有误');
    setSaving(true);
    try {
      const r = await api<{ changed: string[]; recomputed: { changed: number } }>('PUT', '/api/signals/settings', parsed.data);
      setError('');
      onSaved(r.changed.length ? `意向信号设置已保存${r.recomputed.changed ? `，${r.recomputed.changed} 条线索的评分已更新` : ''}` : '没有改动');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };
  const hits = detectSignals(sample, s.classes);
  return (
    <View id="signals">
      <View className="muted">客户在会话、跟进记录或语音里说到这些词时，线索评分随之变化，并随时间衰减；升为A级时可按规则改派并通知主管。</View>
      {s.classes.map((c, i) => (
        <View className="rule" key={i} id={`signal-${i}`}>
          <View className="rule__head">
            <Input className="input rule__name" value={c.name} onInput={(e) => setClass(i, { ...c, name: e.detail.value })} />
            <Input
              className="input signal__points"
              type="number"
              value={String(c.points)}
              onInput={(e) => setClass(i, { ...c, points: Math.trunc(Number(e.detail.value) || 0) })}
            />
            <Text className="muted">分</Text>
            <Text className="link rule__del" onClick={() => setClass(i, null)}>
              删除
            </Text>
          </View>
          <Input
            className="input"
            placeholder="关键词（逗号分隔）"
            value={c.phrases.join('，')}
            onInput={(e) => setClass(i, { ...c, phrases: phrasesOf(e.detail.value) })}
          />
        </View>
      ))}
      <Text className="link" id="signal-add" onClick={() => setS({ ...s, classes: [...s.classes, { name: '新信号', phrases: [], points: 10 }] })}>
        + 添加信号
      </Text>
      <View className="slider-row" id="signal-share">
        <Text className="slider-row__label">静态因素占比</Text>
        <View className="slider-row__slider">
          <Range min={10} max={90} step={5} value={Math.round(s.staticShare * 100)} color="#1677ff" onChange={(v) => setS({ ...s, staticShare: v / 100 })} />
        </View>
        <Text className="slider-row__value">{Math.round(s.staticShare * 100)}%</Text>
      </View>
      <View className="field__input">
        <Text className="label">信号半衰期（小时）</Text>
        <Input
          className="input"
          id="signal-halflife"
          type="number"
          value={String(s.halfLifeHours)}
          onInput={(e) => setS({ ...s, halfLifeHours: Number(e.detail.value) || 0 })}
        />
      </View>
      <View className="field__input">
        <Text className="label">会话内容保留（天，0=不保存）</Text>
        <Input
          className="input"
          id="signal-retention"
          type="number"
          value={String(s.chatRetentionDays)}
          onInput={(e) => setS({ ...s, chatRetentionDays: Number(e.detail.value) || 0 })}
        />
      </View>
      <Chips
        small
        items={['升为A级时通知主管']}
        selected={s.alarmSupervisorOnA ? ['升为A级时通知主管'] : []}
        onTap={() => setS({ ...s, alarmSupervisorOnA: !s.alarmSupervisorOnA })}
      />
      <View className="preview" id="signal-try">
        <View className="label">试一试：这句话会命中哪些信号？</View>
        <Input className="input" value={sample} onInput={(e) => setSample(e.detail.value)} />
        <View id="signal-try-result">
          {hits.length ? hits.map((h) => `${h.name}（“${h.phrase}”）${h.points >= 0 ? '+' : ''}${h.points}`).join('，') : '没有命中'}
        </View>
      </View>
      {error ? <View className="error">{error}</View> : null}
      <Text className="todo-btn todo-btn--primary settings-save" id="signals-save" onClick={saving ? undefined : () => void save()}>
        {saving ? '保存中…' : '保存意向信号设置'}
      </Text>
    </View>
  );
}
