import { useEffect, useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import { alarmSettingsPatchSchema } from '@lifeline/shared/src/alarms/settings-schema';
import { GRADES } from '@lifeline/shared/src/vocabulary';
import { ALARM_RECIPIENTS, ALARM_RECIPIENT_LABELS, ALARM_RULES, ALARM_RULE_LABELS, type AlarmSettings } from '@lifeline/shared/src/alarms/rules';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';

const NUMBERS: { key: keyof AlarmSettings; label: string; unit: string }[] = [
  { key: 'unclaimedMinutes', label: '分配后未认领提醒主管', unit: '分钟' },
  { key: 'noFollowupHours', label: '未首次跟进提醒', unit: '小时' },
  { key: 'highRiskHours', label: '高风险年级提前预警', unit: '小时' },
  { key: 'digestAbove', label: '同时超过几张卡片合并为汇总', unit: '张' },
];

/** 提醒设置: thresholds, early-warning grades, quiet hours; checked as typed with the server's own rules (shared schema). */
export function AlarmsSection({ canEdit, onSaved }: { canEdit: boolean; onSaved: (msg: string) => void }) {
  const [s, setS] = useState<AlarmSettings | null>(null);
  const [text, setText] = useState<Record<string, string>>({});
  const [error, setError] = useState('');

  useEffect(() => {
    void api<{ settings: AlarmSettings }>('GET', '/api/alarms/settings').then(
      (r) => {
        setS(r.settings);
        setText({ ...Object.fromEntries(NUMBERS.map((n) => [n.key, String(r.settings[n.key])])), missRatio: String(Math.round(r.settings.missRatio * 100)) });
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  if (!s) return <View className="muted">{error || '加载中…'}</View>;

  const patch = {
    ...Object.fromEntries(NUMBERS.map((n) => [n.key, Number(text[n.key])])),
    highRiskGrades: s.highRiskGrades,
    quietStart: s.quietStart,
    quietEnd: s.quietEnd,
    missRatio: Number(text.missRatio) / 100,
  };
  const check = alarmSettingsPatchSchema.safeParse(patch);
  const fieldError = (key: string) => (check.success ? null : (check.error.issues.find((i) => i.path[0] === key)?.message ?? null));

  const save = async () => {
    if (!check.success) return setError('请先改正标红的项');
    try {
      const r = await api<{ changed: string[]; rearmed: number }>('PUT', '/api/alarms/settings', patch);
      setError('');
      onSaved(r.changed.length ? `提醒设置已保存（${r.changed.length} 项），${r.rearmed} 条线索的提醒已按新规则重排` : '提醒设置没有变化');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <View id="alarm-settings">
      {NUMBERS.map((n) => (
        <View className="field" key={n.key}>
          <Text className="field__label">{n.label}</Text>
          <View className="field__input">
            <Input
              id={`alarm-${n.key}`}
              className={`input${fieldError(n.key) ? ' input--bad' : ''}`}
              type="number"
              value={text[n.key]}
              onInput={(e) => setText({ ...text, [n.key]: e.detail.value })}
            />
            <Text className="muted">{n.unit}</Text>
          </View>
          {fieldError(n.key) ? (
            <View className="error field__error" id={`alarm-${n.key}-error`}>
              {fieldError(n.key)}
            </View>
          ) : null}
        </View>
      ))}
      <View className="field">
        <Text className="field__label">按历史学到的预警：签约机会降到同类的</Text>
        <View className="field__input">
          <Input id="alarm-missRatio" className="input" type="number" value={text.missRatio} onInput={(e) => setText({ ...text, missRatio: e.detail.value })} />
          <Text className="muted">% 以下时</Text>
        </View>
        {fieldError('missRatio') ? <View className="error field__error">{fieldError('missRatio')}</View> : null}
        <View className="muted" id="alarm-learned">
          {Object.entries(s.learnedRiskHours ?? {})
            .map(([g, h]) => `${g}：未联系 ${h} 小时预警（按历史学到）`)
            .join('；') || '历史数据还不够，全部按固定规则'}
        </View>
      </View>
      <View className="label">高风险年级（提前预警）</View>
      <Chips
        small
        items={[...GRADES]}
        selected={s.highRiskGrades}
        onTap={(g) => setS({ ...s, highRiskGrades: s.highRiskGrades.includes(g) ? s.highRiskGrades.filter((x) => x !== g) : [...s.highRiskGrades, g] })}
      />
      <View className="field">
        <Text className="field__label">免打扰时段</Text>
        <View className="field__input">
          <Input className="input input--time" value={s.quietStart} onInput={(e) => setS({ ...s, quietStart: e.detail.value })} />
          <Text>至</Text>
          <Input className="input input--time" value={s.quietEnd} onInput={(e) => setS({ ...s, quietEnd: e.detail.value })} />
        </View>
        {fieldError('quietStart') || fieldError('quietEnd') ? (
          <View className="error field__error">{fieldError('quietStart') ?? fieldError('quietEnd')}</View>
        ) : null}
      </View>
      <View className="label">谁会收到提醒（按规则，固定）</View>
      <View className="recipients" id="alarm-recipients">
        {ALARM_RULES.map((r) => (
          <View key={r} className="muted">
            {ALARM_RULE_LABELS[r]} → {ALARM_RECIPIENTS[r].map((x) => ALARM_RECIPIENT_LABELS[x]).join('、')}
          </View>
        ))}
      </View>
      {error ? <View className="error">{error}</View> : null}
      {canEdit ? (
        <Text className="todo-btn todo-btn--primary settings-save" id="alarms-save" onClick={() => void save()}>
          保存提醒设置
        </Text>
      ) : (
        <View className="muted">只有管理员可以修改提醒规则</View>
      )}
    </View>
  );
}
