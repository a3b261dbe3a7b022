import Taro from '@tarojs/taro';
import { Text, View } from '@tarojs/components';
import { UserPicker } from './UserPicker';
import type { DemoUser, Me } from '../lib/session';

type Page = 'followup' | 'todo' | 'team' | 'dashboard' | 'settings';

const MANAGERS = ['supervisor', 'ops', 'director', 'admin'];

/** The workbench's pages, each shown only to the roles that can use it (the server checks again). */
export function pagesFor(role: string): { id: Page; label: string; url: string }[] {
  return [
    { id: 'followup' as const, label: '跟进', url: '/pages/index/index', show: true },
    { id: 'todo' as const, label: role === 'rep' ? '我的待办' : '待办', url: '/pages/todo/index', show: true },
    { id: 'team' as const, label: '团队', url: '/pages/team/index', show: MANAGERS.includes(role) },
    { id: 'dashboard' as const, label: role === 'rep' ? '我的数据' : '看板', url: '/pages/dashboard/index', show: true },
    { id: 'settings' as const, label: '设置', url: '/pages/settings/index', show: role === 'admin' || role === 'ops' },
  ].filter((p) => p.show);
}

/** Page title, the other pages as tabs (44 px), and the demo user switch. `badge`: the to-do count. */
export function NavBar({ current, me, users, onUser, badge }: { current: Page; me: Me; users: DemoUser[]; onUser: (u: DemoUser) => void; badge?: number }) {
  return (
    <View className="nav">
      <View className="nav__tabs" id="nav">
        {pagesFor(me.role).map((p) => (
          <Text
            key={p.id}
            id={`nav-${p.id}`}
            className={`nav__tab${p.id === current ? ' nav__tab--on' : ''}`}
            onClick={() => (p.id === current ? undefined : void Taro.redirectTo({ url: p.url }))}
          >
            {p.label}
            {p.id === 'todo' && badge ? <Text className="badge">{badge > 99 ? '99+' : badge}</Text> : null}
          </Text>
        ))}
      </View>
      <UserPicker me={me} users={users} onUser={onUser} />
    </View>
  );
}
