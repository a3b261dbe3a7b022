import { useCallback, useEffect, useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import { ROLES, ROLE_LABELS, type Role } from '@lifeline/shared/src/vocabulary';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';

interface Person {
  id: number;
  name: string;
  role: string;
  roleLabel?: string;
  active: boolean;
  orgUnitName?: string | null;
  wecomUserId?: string | null;
  dingtalkUserId?: string | null;
}
interface SyncRun {
  id: number;
  platform: string;
  status: string;
  finishedAt?: number | null;
  createdAt?: number;
  error?: string | null;
  notice?: string | null;
}

const STATUS: Record<string, string> = {
  fetching: '同步中',
  review: '等待确认差异',
  applying: '应用中',
  applied: '已完成',
  failed: '失败',
  cancelled: '已取消',
};

/**
 * 人员: search the company's people, enable or disable an account (a leaver's open leads are handed on by the
 * server), and the directory sync status. Mobile and email are not shown: WeCom/DingTalk no longer give them to a
 * self-built app.
 */
export function PeopleSection({ isAdmin, onSaved }: { isAdmin: boolean; onSaved: (msg: string) => void }) {
  const [q, setQ] = useState('');
  const [people, setPeople] = useState<Person[]>([]);
  const [sync, setSync] = useState<SyncRun | null>(null);
  const [error, setError] = useState('');
  const [confirm, setConfirm] = useState<number | null>(null);
  const [roleOf, setRoleOf] = useState<{ id: number; role: string } | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await api<{ items: Person[] }>('GET', `/api/users?pageSize=200${q.trim() ? `&q=${encodeURIComponent(q.trim())}` : ''}`);
      setPeople(r.items);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [q]);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!isAdmin) return;
    void api<{ items: SyncRun[] }>('GET', '/api/directory/sync').then(
      (r) => setSync(r.items[0] ?? null),
      () => setSync(null),
    );
  }, [isAdmin]);

  const changeRole = async (p: Person, role: string) => {
    try {
      await api('PATCH', `/api/users/${p.id}`, { role });
      setRoleOf(null);
      onSaved(`${p.name} 的角色已改为 ${ROLE_LABELS[role as Role]}`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const toggle = async (p: Person) => {
    try {
      await api('PATCH', `/api/users/${p.id}`, { active: !p.active });
      setConfirm(null);
      onSaved(p.active ? `已停用 ${p.name}，其在跟线索已按规则转交` : `已启用 ${p.name}`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <View id="people">
      <View className="notice" id="sync-status">
        通讯录同步：
        {sync
          ? `${sync.platform === 'wecom' ? '企业微信' : '钉钉'} · ${STATUS[sync.status] ?? sync.status}${sync.error ? ` · ${sync.error}` : ''}`
          : '尚未同步（在「通讯录」接口发起，或等待每晚自动同步）'}
        <View className="muted">自建应用无法从企业微信/钉钉获取成员手机号和邮箱，这里不显示，也不需要。</View>
      </View>
      <Input className="input" id="people-q" value={q} placeholder="按姓名或企业微信/钉钉账号搜索" onInput={(e) => setQ(e.detail.value)} />
      {error ? <View className="error">{error}</View> : null}
      {people.map((p) => (
        <View className={`person${p.active ? '' : ' person--off'}`} key={p.id} id={`person-${p.id}`}>
          <View className="person__main" onClick={isAdmin ? () => setRoleOf(roleOf?.id === p.id ? null : { id: p.id, role: p.role }) : undefined}>
            <Text className="person__name">{p.name}</Text>
            <Text className="muted">
              {' '}
              {p.roleLabel ?? p.role}
              {p.orgUnitName ? ` · ${p.orgUnitName}` : ''}
              {p.active ? '' : ' · 已停用'}
            </Text>
            {roleOf?.id === p.id ? (
              <View className="person__roles" onClick={(e) => e.stopPropagation()}>
                <Chips
                  small
                  items={ROLES.map((r) => ROLE_LABELS[r])}
                  selected={[ROLE_LABELS[p.role as Role]]}
                  onTap={(label) => {
                    const role = ROLES.find((r) => ROLE_LABELS[r] === label)!;
                    if (role !== p.role) void changeRole(p, role);
                  }}
                />
              </View>
            ) : null}
          </View>
          {isAdmin ? (
            confirm === p.id ? (
              <Text className="todo-btn todo-btn--primary" onClick={() => void toggle(p)}>
                {p.active ? '确认停用' : '确认启用'}
              </Text>
            ) : (
              <Text className="todo-btn" onClick={() => setConfirm(p.id)}>
                {p.active ? '停用' : '启用'}
              </Text>
            )
          ) : null}
        </View>
      ))}
    </View>
  );
}
