import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import Taro, { useDidShow } from '@tarojs/taro';
import { Text, View } from '@tarojs/components';
import type { TodoItem } from '@lifeline/shared/src/todo';
import { api, hasToken } from '../../lib/api';
import { pageQuery } from '../../lib/platform';
import { useSession, type Me } from '../../lib/session';
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
  const [reps, setReps] = useState<{ id: number; name: string }[]>([]);
  const [busy, setBusy] = useState<number | null>(null);
  const { list, error, setError, load } = useTodoList(me, q.leadIds ?? '', leadIds, repId);
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
      await load(true);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const write = (item: TodoItem) => void Taro.navigateTo({ url: `/pages/index/index?leadId=${item.leadId}&from=todo` });

  const shown = useProgressive(list?.items ?? []);

  if (fatal) return <View className="page error">{fatal}</View>;
  if (!me && !list) return <View className="page muted">加载中…</View>;
  // The list may arrive before the sign-in check answers: shown at once, as the rep's own until the role is known.
  const isRep = !me || me.role === 'rep';
  return (
    <View className="page page--wide todo">
      {me ? (
        <NavBar current="todo" me={me} users={users} onUser={(u) => void switchUser(u).then(() => setRepId(null))} badge={list?.total} />
      ) : (
        <View className="nav nav--pending" />
      )}
      <View className="todo__head">
        <Text className="todo__title" id="todo-title">
          {/* No role-specific wording until the role is known: a supervisor never reads 我的待办 for a moment. */}
          {!me ? '待办' : isRep ? '我的待办' : '团队待办'} {list ? `${list.total} 条` : ''}
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
        {shown.map((item) => (
          <TodoRow key={item.leadId} item={item} showOwner={!isRep} busy={busy === item.leadId} onClaim={() => void claim(item)} onWrite={() => write(item)} />
        ))}
      </View>
    </View>
  );
}

/**
 * The list on screen and how it is (re)loaded: the first load for the signed-in user, again after a filter or user
 * change, after a claim and when the page is shown again (back from the follow-up form).
 */
function useTodoList(me: Me | null, initialLeadIds: string, leadIds: string, repId: number | null) {
  const [list, setList] = useState<TodoList | null>(null);
  const [error, setError] = useState('');
  // A cold open with a stored session asks for the list at once, beside the sign-in check rather than after it (the
  // list is the page); the answer is used by the first load only.
  const early = useRef<{ params: string; list: Promise<TodoList> } | null>(null);
  if (early.current === null && !list && hasToken() && !me) {
    const params = initialLeadIds ? `leadIds=${initialLeadIds}` : '';
    const p = api<TodoList>('GET', `/api/todo${params ? `?${params}` : ''}`);
    p.catch(() => undefined);
    early.current = { params, list: p };
  }

  // What the list on screen was loaded for: `token|params` (the early request) or `userId|params`.
  const loadedFor = useRef<string | null>(null);
  useEffect(() => {
    const e = early.current;
    if (!e) return;
    void e.list.then(
      (l) => {
        if (early.current === e) early.current = null;
        if (loadedFor.current) return;
        loadedFor.current = `token|${e.params}`;
        setList(l);
      },
      () => undefined,
    );
  }, []);

  const load = useCallback(
    async (force: boolean) => {
      if (!me) return;
      const params = [leadIds ? `leadIds=${leadIds}` : '', repId ? `repId=${repId}` : ''].filter(Boolean).join('&');
      const key = `${me.id}|${params}`;
      // The early list was the signed-in user's (the token /api/me answered for): no second request for it.
      if (!force && (loadedFor.current === key || loadedFor.current === `token|${params}`)) return void (loadedFor.current = key);
      try {
        const first = early.current?.params === params ? early.current.list : null;
        early.current = null;
        setList(await (first ?? api<TodoList>('GET', `/api/todo${params ? `?${params}` : ''}`)));
        loadedFor.current = key;
        setError('');
      } catch (e) {
        setError((e as Error).message);
      }
    },
    [me?.id, leadIds, repId],
  );

  useEffect(() => {
    void load(false);
  }, [load]);
  // Back from the follow-up form: the list is reloaded, so a handled lead is gone (the first show loads it anyway).
  // Through a ref: the page-show hook may keep the callback it was first given.
  const latest = useRef(load);
  latest.current = load;
  useDidShow(() => {
    if (loadedFor.current) void latest.current(true);
  });
  return { list, error, setError, load };
}

/**
 * The first screenful at once, the rest a batch per frame: a long list (200 leads) is usable as soon as its top rows
 * are on screen instead of after every row is built (each Taro H5 element is a custom element, costly to create).
 */
function useProgressive<T>(items: T[], first = 12, step = 40): T[] {
  const [count, setCount] = useState(first);
  useEffect(() => setCount(first), [items]);
  useEffect(() => {
    if (count >= items.length) return;
    const t = setTimeout(() => setCount((c) => c + step), 16);
    return () => clearTimeout(t);
  }, [count, items]);
  return items.slice(0, count);
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
