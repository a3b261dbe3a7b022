import { useCallback, useEffect, useMemo, useState } from 'react';
import Taro, { useDidShow } from '@tarojs/taro';
import { Text, View } from '@tarojs/components';
import type { TodoItem } from '@lifeline/shared/src/todo';
import { api } from '../../lib/api';
import { pageQuery } from '../../lib/platform';
import { useSession } from '../../lib/session';
import { NavBar } from '../../components/NavBar';
import { Chips } from '../../components/Chips';
import './index.css';

interface TodoList {
  items: TodoItem[];
  total: number;
  overdue: number;
}

/**
 * 我的待办: every open lead that needs action now, most urgent first. One tap claims it or opens the follow-up form
 * with the customer loaded. Supervisors see their team's, filterable by rep. `?leadIds=` (an alarm digest) narrows it.
 */
export default function Todo() {
  const { me, users, fatal, switchUser } = useSession('rep');
  const q = useMemo(pageQuery, []);
  const [leadIds, setLeadIds] = useState(q.leadIds ?? '');
  const [repId, setRepId] = useState<number | null>(null);
  const [list, setList] = useState<TodoList | null>(null);
  const [reps, setReps] = useState<{ id: number; name: string }[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<number | null>(null);

  const load = useCallback(async () => {
    if (!me) return;
    const params = [leadIds ? `leadIds=${leadIds}` : '', repId ? `repId=${repId}` : ''].filter(Boolean).join('&');
    try {
      setList(await api<TodoList>('GET', `/api/todo${params ? `?${params}` : ''}`));
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [me?.id, leadIds, repId]);

  useEffect(() => {
    void load();
  }, [load]);
  // Back from the follow-up form: the list is reloaded, so a handled lead is gone.
  useDidShow(() => void load());
  useEffect(() => {
    if (!me || me.role === 'rep') return setReps([]);
    void api<{ items: { id: number; name: string; role: string; active: boolean }[] }>('GET', '/api/users?role=rep&active=true&pageSize=200')
      .then((r) => setReps(r.items.filter((u) => u.role === 'rep')))
      .catch(() => setReps([]));
  }, [me?.id]);

  const claim = async (item: TodoItem) => {
    setBusy(item.leadId);
    try {
      await api('POST', `/api/leads/${item.leadId}/claim`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const write = (item: TodoItem) => void Taro.navigateTo({ url: `/pages/index/index?leadId=${item.leadId}&from=todo` });

  if (fatal) return <View className="page error">{fatal}</View>;
  if (!me) return <View className="page muted">加载中…</View>;
  const isRep = me.role === 'rep';
  return (
    <View className="page page--wide todo">
      <NavBar current="todo" me={me} users={users} onUser={(u) => void switchUser(u).then(() => setRepId(null))} badge={list?.total} />
      <View className="todo__head">
        <Text className="todo__title" id="todo-title">
          {isRep ? '我的待办' : '团队待办'} {list ? `${list.total} 条` : ''}
        </Text>
        {list?.overdue ? <Text className="todo__overdue">其中 {list.overdue} 条已超时</Text> : null}
      </View>
      {leadIds ? (
        <View className="notice" id="digest-filter">
          来自提醒汇总：只显示这条提醒里的线索。
          <Text className="link" onClick={() => setLeadIds('')}>
            查看全部待办
          </Text>
        </View>
      ) : null}
      {!isRep && reps.length ? (
        <Chips
          id="rep-filter"
          small
          items={['全部', ...reps.map((r) => r.name)]}
          selected={[reps.find((r) => r.id === repId)?.name ?? '全部']}
          onTap={(name) => setRepId(reps.find((r) => r.name === name)?.id ?? null)}
        />
      ) : null}
      {error ? (
        <View className="error" id="todo-error">
          {error}
        </View>
      ) : null}
      {list && !list.items.length ? (
        <View className="todo__empty" id="todo-empty">
          ✓ 没有需要马上处理的线索
        </View>
      ) : null}
      <View className="todo__list" id="todo-list">
        {list?.items.map((item) => (
          <TodoRow key={item.leadId} item={item} showOwner={!isRep} busy={busy === item.leadId} onClaim={() => void claim(item)} onWrite={() => write(item)} />
        ))}
      </View>
    </View>
  );
}

function TodoRow({ item, showOwner, busy, onClaim, onWrite }: { item: TodoItem; showOwner: boolean; busy: boolean; onClaim: () => void; onWrite: () => void }) {
  const facts = [item.grade, item.city, item.channel, item.journeyNode].filter(Boolean).join(' · ');
  return (
    <View className={`todo-row${item.overdue ? ' todo-row--overdue' : ''}`} id={`todo-${item.leadId}`}>
      <View className="todo-row__main" onClick={item.claimable ? undefined : onWrite}>
        <View className="todo-row__top">
          <Text className="todo-row__name">{item.customerName}</Text>
          <Text className={`level level--${item.scoreLevel}`}>{item.scoreLevel}级</Text>
          {showOwner ? <Text className="todo-row__owner">负责人 {item.ownerName ?? '—'}</Text> : null}
        </View>
        <View className={`todo-row__why${item.overdue ? ' todo-row__why--late' : ''}`}>{item.label}</View>
        <View className="muted">
          {facts}
          {item.nextStepAction ? ` · 约定：${item.nextStepAction}` : ''}
        </View>
      </View>
      <View className="todo-row__actions">
        {item.claimable ? (
          <Text className="todo-btn todo-btn--primary todo-claim" onClick={busy ? undefined : onClaim}>
            {busy ? '认领中…' : '认领'}
          </Text>
        ) : null}
        <Text className={`todo-btn todo-write${item.claimable ? '' : ' todo-btn--primary'}`} onClick={onWrite}>
          写跟进
        </Text>
      </View>
    </View>
  );
}
