import { useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';

export interface Escalation {
  leadId: number;
  customerName: string;
  facts: string;
  /** Why it is here: 轮转队列 (no owner) or 超时未认领 (an owner who has not claimed it). */
  why: string;
  /** Current owner (unclaimed leads); null for the rotation queue. */
  ownerId: number | null;
  queued: boolean;
}

const REASONS = ['原负责人未及时认领', '负载均衡', '客户要求更换顾问', '顾问请假'];

/**
 * One escalated lead: pick a rep and a reason, then 分配. The reason is required: it is audited and shown in the
 * lead's timeline (分配给 张敏（负载均衡）).
 */
export function AssignRow({ e, reps, onDone }: { e: Escalation; reps: { id: number; name: string }[]; onDone: (msg: string) => void }) {
  const [to, setTo] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(false);
  const candidates = reps.filter((r) => r.id !== e.ownerId);

  const assign = async () => {
    if (!to) return setError('请选择分配给哪位顾问');
    if (!reason.trim()) return setError('请填写或选择分配原因');
    setBusy(true);
    try {
      if (e.queued) await api('POST', `/api/routing/queue/${e.leadId}/assign`, { ownerId: to, reason: reason.trim() });
      else await api('PATCH', `/api/leads/${e.leadId}`, { ownerId: to, assignReason: reason.trim() });
      onDone(`已把 ${e.customerName} 分配给 ${reps.find((r) => r.id === to)?.name}（${reason.trim()}）`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const head = (
    <View className="assign__row">
      <View className="assign__main">
        <View className="assign__head">
          <Text className="assign__name">{e.customerName}</Text>
          <Text className="assign__why">{e.why}</Text>
        </View>
        <View className="muted">{e.facts}</View>
      </View>
      <Text className={`todo-btn assign__open${open ? '' : ' todo-btn--primary'}`} onClick={() => setOpen(!open)}>
        {open ? '收起' : e.queued ? '分配' : '改派'}
      </Text>
    </View>
  );
  if (!open)
    return (
      <View className="assign" id={`esc-${e.leadId}`}>
        {head}
      </View>
    );
  return (
    <View className="assign assign--open" id={`esc-${e.leadId}`}>
      {head}
      <View className="label">分配给</View>
      <Chips
        small
        items={candidates.map((r) => r.name)}
        selected={candidates.filter((r) => r.id === to).map((r) => r.name)}
        onTap={(name) => setTo(candidates.find((r) => r.name === name)?.id ?? null)}
      />
      <View className="label">原因（记入线索时间线）</View>
      <Chips small items={REASONS} selected={REASONS.includes(reason) ? [reason] : []} onTap={(r) => setReason(r === reason ? '' : r)} />
      <Input
        className="input"
        value={REASONS.includes(reason) ? '' : reason}
        placeholder="或输入其他原因"
        maxlength={100}
        onInput={(ev) => setReason(ev.detail.value)}
      />
      {error ? <View className="error">{error}</View> : null}
      <Text className="todo-btn todo-btn--primary assign__go" onClick={busy ? undefined : () => void assign()}>
        {busy ? '分配中…' : '分配'}
      </Text>
    </View>
  );
}
