import { useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import { poolSchema } from '@lifeline/shared/src/routing/schemas';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';

export interface PoolMember {
  userId: number;
  name: string | null;
  active: boolean;
  weight: number;
  cap: number | null;
  shifts: { days: number[]; from: string; to: string }[] | null;
  openLeads: number;
}
export interface Pool {
  id: number;
  name: string;
  orgUnitId: number;
  queued: number;
  members: PoolMember[];
}

const DAYS = ['一', '二', '三', '四', '五', '六', '日'];

/**
 * One pool: members with weight (round robin share), cap (most open leads) and one shift (days and hours; none =
 * always), add or remove members; saved through PUT /api/routing/pools/:id, checked as typed with the server's schema.
 */
export function PoolEditor({ pool, reps, onSaved }: { pool: Pool; reps: { id: number; name: string }[]; onSaved: (msg: string) => void }) {
  const [members, setMembers] = useState(pool.members);
  const [error, setError] = useState('');
  const body = {
    name: pool.name,
    orgUnitId: pool.orgUnitId,
    members: members.map((m) => ({ userId: m.userId, weight: m.weight, cap: m.cap, shifts: m.shifts })),
  };
  const check = poolSchema.safeParse(body);
  const problem = check.success ? null : check.error.issues[0].message;
  const set = (i: number, patch: Partial<PoolMember>) => setMembers(members.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  const outside = reps.filter((r) => !members.some((m) => m.userId === r.id));
  const save = async () => {
    if (problem) return setError(problem);
    try {
      await api('PUT', `/api/routing/pools/${pool.id}`, body);
      onSaved(`线索池「${pool.name}」已保存`);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <View className="pool-editor" id={`pool-editor-${pool.id}`}>
      {members.map((m, i) => {
        const shift = m.shifts?.[0] ?? null;
        return (
          <View className="member" key={m.userId} id={`member-${pool.id}-${m.userId}`}>
            <View className="member__head">
              <Text className="person__name">
                {m.name ?? `#${m.userId}`}
                {m.active ? '' : '（停用）'}
              </Text>
              <Text className="muted">在跟 {m.openLeads}</Text>
              <Text className="link rule__del" onClick={() => setMembers(members.filter((_, j) => j !== i))}>
                移出
              </Text>
            </View>
            <View className="field__input">
              <Text className="muted">权重</Text>
              <Input className="input member-weight" type="number" value={String(m.weight)} onInput={(e) => set(i, { weight: Number(e.detail.value) })} />
              <Text className="muted">上限</Text>
              <Input
                className="input member-cap"
                type="number"
                placeholder="不限"
                value={m.cap === null ? '' : String(m.cap)}
                onInput={(e) => set(i, { cap: e.detail.value === '' ? null : Number(e.detail.value) })}
              />
            </View>
            <Chips
              small
              items={DAYS.map((d) => `周${d}`)}
              selected={(shift?.days ?? []).map((d) => `周${DAYS[d - 1]}`)}
              onTap={(label) => {
                const day = DAYS.indexOf(label.slice(1)) + 1;
                const days = shift?.days.includes(day) ? shift.days.filter((x) => x !== day) : [...(shift?.days ?? []), day].sort();
                set(i, { shifts: days.length ? [{ days, from: shift?.from ?? '09:00', to: shift?.to ?? '21:00' }] : null });
              }}
            />
            {shift ? (
              <View className="field__input">
                <Input className="input input--time" value={shift.from} onInput={(e) => set(i, { shifts: [{ ...shift, from: e.detail.value }] })} />
                <Text>至</Text>
                <Input className="input input--time" value={shift.to} onInput={(e) => set(i, { shifts: [{ ...shift, to: e.detail.value }] })} />
              </View>
            ) : (
              <View className="muted">不选日期 = 随时接单</View>
            )}
          </View>
        );
      })}
      {outside.length ? (
        <>
          <View className="label">加入成员</View>
          <Chips
            small
            items={outside.map((r) => r.name)}
            selected={[]}
            onTap={(name) => {
              const r = outside.find((x) => x.name === name)!;
              setMembers([...members, { userId: r.id, name: r.name, active: true, weight: 1, cap: null, shifts: null, openLeads: 0 }]);
            }}
          />
        </>
      ) : null}
      {problem || error ? <View className="error">{problem ?? error}</View> : null}
      <Text className="todo-btn todo-btn--primary settings-save" id={`pool-save-${pool.id}`} onClick={() => void save()}>
        保存线索池
      </Text>
    </View>
  );
}
