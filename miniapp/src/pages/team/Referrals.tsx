import { useEffect, useState } from 'react';
import { Text, View } from '@tarojs/components';
import { api } from '../../lib/api';
import { cnDateTime } from '../../dashboard/format';
import { Chips } from '../../components/Chips';

interface Referral {
  id: number;
  partner: string | null;
  ref: string;
  fields: { phone?: string; name?: string; city?: string; grade?: string; concerns?: string[] };
  createdAt: number;
}

const REASONS = ['重复推荐', '信息不全', '不在服务范围'];

/** 合作方推荐: referrals held for approval; 通过 creates the lead (routed like any new lead), 不通过 says why. */
export function Referrals({ onDone }: { onDone: (msg: string) => void }) {
  const [items, setItems] = useState<Referral[] | null>(null);
  const [rejecting, setRejecting] = useState<number | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: Referral[] }>('GET', '/api/partner-referrals?status=pending').then(
      (r) => setItems(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
  }, []);
  const act = async (work: () => Promise<unknown>, msg: string) => {
    try {
      await work();
      setRejecting(null);
      setError('');
      onDone(msg);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!items) return <View className="muted">{error || '加载中…'}</View>;
  return (
    <View id="referrals">
      {items.length ? null : <View className="muted">没有待审核的推荐</View>}
      {items.map((r) => (
        <View className="assign" key={r.id} id={`referral-${r.id}`}>
          <Text className="assign__name">{r.fields.name ?? '未留称呼'}</Text>{' '}
          <Text className="assign__why">
            {r.partner} · {r.ref}
          </Text>
          <View className="muted">
            {[r.fields.phone, r.fields.city, r.fields.grade, ...(r.fields.concerns ?? [])].filter(Boolean).join(' · ')} · {cnDateTime(r.createdAt)}
          </View>
          <View className="row-buttons">
            <Text
              className="todo-btn todo-btn--primary"
              id={`referral-approve-${r.id}`}
              onClick={() => void act(() => api('POST', `/api/partner-referrals/${r.id}/approve`), `已通过：${r.fields.name ?? r.ref}，线索已分配`)}
            >
              通过
            </Text>
            <Text className="todo-btn" onClick={() => setRejecting(rejecting === r.id ? null : r.id)}>
              不通过
            </Text>
          </View>
          {rejecting === r.id ? (
            <Chips
              small
              items={REASONS}
              onTap={(reason) => void act(() => api('POST', `/api/partner-referrals/${r.id}/reject`, { reason }), `已退回：${reason}`)}
            />
          ) : null}
        </View>
      ))}
      {error ? <View className="error">{error}</View> : null}
    </View>
  );
}
