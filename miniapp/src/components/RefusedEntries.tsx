import { useState } from 'react';
import { Text, View } from '@tarojs/components';
import { nextStepChips, parseChineseDate } from '@lifeline/shared/src/dates';
import { Chips } from './Chips';
import { discard, resendWithNextStep, type PendingFollowup } from '../lib/outbox';

/**
 * Follow-ups kept on the device that the server refused when they were resent (typically: their next step passed
 * while offline). Nothing the rep typed is dropped: a new time sends it again; only 放弃 removes it.
 */
export function RefusedEntries({ items, onChange }: { items: PendingFollowup[]; onChange: (notice: string) => void }) {
  if (!items.length) return null;
  return (
    <View className="refused" id="refused">
      <View className="refused__title">有 {items.length} 条暂存的跟进未能保存，内容仍在本机：</View>
      {items.map((p) => (
        <RefusedEntry key={p.key} p={p} onChange={onChange} />
      ))}
    </View>
  );
}

function RefusedEntry({ p, onChange }: { p: PendingFollowup; onChange: (notice: string) => void }) {
  const [error, setError] = useState('');
  const needsTime = p.refused?.field === 'nextStep.at';
  const resend = async (chip: string) => {
    const when = parseChineseDate(chip, Date.now());
    if (!when || when.past) return setError('请选择将来的时间');
    const r = await resendWithNextStep(p.key, when.iso);
    if (r.ok) onChange(`已保存：${p.label.replace(/ · 下一步.*/, '')} · 下一步 ${when.label}`);
    else if (r.offline) onChange('网络仍不可用，已改好时间，恢复后自动补发');
    else setError(r.message);
  };
  return (
    <View className="refused__item">
      <View className="refused__label">{p.label}</View>
      {p.body.conclusion ? <View className="refused__text">结论：{String(p.body.conclusion)}</View> : null}
      <View className="error">{error || p.refused?.message}</View>
      {needsTime ? (
        <>
          <View className="muted">选一个新的下一步时间后重新保存：</View>
          <Chips small items={nextStepChips(Date.now())} selected={[]} onTap={(c) => void resend(c)} />
        </>
      ) : null}
      <Text
        className="link refused__discard"
        onClick={() => {
          discard(p.key);
          onChange(`已放弃：${p.label}`);
        }}
      >
        放弃这条
      </Text>
    </View>
  );
}
