import { useEffect, useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import type { LeaderboardRules } from '@lifeline/shared/src/leaderboard';
import { leaderboardRulesPatchSchema } from '@lifeline/shared/src/schemas/leaderboard';
import { api } from '../../lib/api';

const FIELDS: { key: keyof LeaderboardRules; label: string }[] = [
  { key: 'actionPoints', label: '记录跟进动作（分）' },
  { key: 'conclusionPoints', label: '结论有实际内容（分）' },
  { key: 'nextStepPoints', label: '约定下一步（分）' },
  { key: 'voicePoints', label: '确认语音草稿（分）' },
  { key: 'minConclusionChars', label: '结论至少几个字才算有内容' },
  { key: 'cooldownMinutes', label: '同一线索几分钟内再记不计分' },
  { key: 'copyWindowDays', label: '几天内结论相同算复制' },
];

/** 录入积分: the leaderboard's points and anti-gaming windows (docs/leaderboard.md), checked with the server's schema. */
export function LeaderboardRulesSection({ onSaved }: { onSaved: (msg: string) => void }) {
  const [rules, setRules] = useState<LeaderboardRules | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    void api<{ rules: LeaderboardRules }>('GET', '/api/leaderboard').then(
      (r) => setRules(r.rules),
      (e: Error) => setError(e.message),
    );
  }, []);
  if (!rules) return <View className="muted">{error || '加载中…'}</View>;
  const check = leaderboardRulesPatchSchema.safeParse(rules);
  const problem = check.success ? null : check.error.issues[0]?.message;
  const save = async () => {
    if (problem) return;
    try {
      const r = await api<{ changed: string[] }>('PUT', '/api/leaderboard/settings', rules);
      setError('');
      onSaved(r.changed.length ? '录入积分规则已保存，之后的记录按新规则计分' : '没有改动');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <View id="leaderboard-rules">
      <View className="muted">每条跟进记录按下面的规则得分，进入每日录入榜；规则修改只影响之后的记录。</View>
      {FIELDS.map((f) => (
        <View className="field__input" key={f.key}>
          <Text className="label">{f.label}</Text>
          <Input
            className="input"
            id={`lb-${f.key}`}
            type="number"
            value={String(rules[f.key])}
            onInput={(e) => setRules({ ...rules, [f.key]: Math.trunc(Number(e.detail.value) || 0) })}
          />
        </View>
      ))}
      {problem || error ? <View className="error">{problem || error}</View> : null}
      <Text className="todo-btn todo-btn--primary settings-save" id="leaderboard-save" onClick={() => void save()}>
        保存录入积分规则
      </Text>
    </View>
  );
}
