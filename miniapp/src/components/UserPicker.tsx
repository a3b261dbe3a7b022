import { useState } from 'react';
import { Text, View } from '@tarojs/components';

interface Person {
  id: number;
  name: string;
  roleLabel?: string;
}

/** Demo mode: who the browser is signed in as, and a list to become someone else (every demo user, 44 px rows). */
export function UserPicker<U extends Person>({ me, users, onUser }: { me: { id?: number; name: string }; users: U[]; onUser: (u: U) => void }) {
  const [open, setOpen] = useState(false);
  if (users.length <= 1) return <Text className="header__user">{me.name}</Text>;
  return (
    <View className="user-picker">
      <View className="header__user" id="user-picker" onClick={() => setOpen(!open)}>
        {me.name} ▾
      </View>
      {open ? (
        <View className="user-picker__list" id="user-list">
          {users.map((u) => (
            <View
              key={u.id}
              className={`user-picker__item${u.id === me.id ? ' user-picker__item--on' : ''}`}
              onClick={() => {
                setOpen(false);
                if (u.id !== me.id) onUser(u);
              }}
            >
              {u.name}
              {u.roleLabel ? <Text className="muted"> · {u.roleLabel}</Text> : null}
            </View>
          ))}
        </View>
      ) : null}
    </View>
  );
}
