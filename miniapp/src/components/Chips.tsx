import { View } from '@tarojs/components';

interface Props {
  items: readonly string[];
  selected?: readonly string[];
  onTap: (item: string) => void;
  id?: string;
  small?: boolean;
}

/** One-tap choices (actions, quick phrases, dates). */
export function Chips({ items, selected = [], onTap, id, small }: Props) {
  return (
    <View className="chips" id={id}>
      {items.map((it) => (
        <View key={it} className={`chip${selected.includes(it) ? ' chip--on' : ''}${small ? ' chip--small' : ''}`} onClick={() => onTap(it)}>
          {it}
        </View>
      ))}
    </View>
  );
}
