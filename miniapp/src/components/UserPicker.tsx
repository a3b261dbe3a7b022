import { Picker, Text, View } from '@tarojs/components';

/** The signed-in person's name in the header; with more than one user (browser demo), a picker to switch. */
export function UserPicker<U extends { name: string }>({ me, users, onUser }: { me: { name: string }; users: U[]; onUser: (u: U) => void }) {
  return users.length > 1 ? (
    <Picker mode="selector" range={users.map((u) => u.name)} onChange={(e) => onUser(users[Number(e.detail.value)])}>
      <View className="header__user" id="user-picker">
        {me.name} ▾
      </View>
    </Picker>
  ) : (
    <Text className="header__user">{me.name}</Text>
  );
}
