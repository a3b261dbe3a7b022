import { useState } from 'react';
import { Text, View } from '@tarojs/components';
import { Chips } from './Chips';
import { api } from '../lib/api';

interface Lead {
  id: number;
  ownerId: number | null;
  coOwnerId?: number | null;
  coOwnerName?: string | null;
}

/**
 * 协同人 (双人协同, KA mode): who else works this lead. Supervisors and admins set or remove them (PATCH coOwnerId); the
 * co-owner sees the lead and its timeline, gets the same reminders, and may record follow-ups where the company allows.
 */
export function CoOwnerLine({ lead, canEdit, onChanged }: { lead: Lead; canEdit: boolean; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [people, setPeople] = useState<{ id: number; name: string }[] | null>(null);
  const [error, setError] = useState('');
  const show = async () => {
    setOpen(!open);
    if (people) return;
    const r = await api<{ items: { id: number; name: string; role: string }[] }>('GET', '/api/users?active=true&pageSize=200').catch((e: Error) => {
      setError(e.message);
      return { items: [] };
    });
    setPeople(r.items.filter((u) => (u.role === 'rep' || u.role === 'supervisor') && u.id !== lead.ownerId));
  };
  const set = async (coOwnerId: number | null) => {
    try {
      await api('PATCH', `/api/leads/${lead.id}`, { coOwnerId });
      setOpen(false);
      setError('');
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!lead.coOwnerName && !canEdit) return null;
  return (
    <View className="co-owner" id="co-owner">
      <Text className="muted">协同人：{lead.coOwnerName ?? '无'}</Text>
      {canEdit ? (
        <Text className="link" id="co-owner-edit" onClick={() => void show()}>
          {' '}
          {open ? '收起' : lead.coOwnerName ? '更换' : '设置'}
        </Text>
      ) : null}
      {open && people ? (
        <View>
          <Chips
            small
            items={people.map((p) => p.name)}
            selected={lead.coOwnerName ? [lead.coOwnerName] : []}
            onTap={(n) => void set(people.find((p) => p.name === n)!.id)}
          />
          {lead.coOwnerId ? (
            <Text className="link" id="co-owner-remove" onClick={() => void set(null)}>
              取消协同
            </Text>
          ) : null}
        </View>
      ) : null}
      {error ? <View className="error">{error}</View> : null}
    </View>
  );
}
