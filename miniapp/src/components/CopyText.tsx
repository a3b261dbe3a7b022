import Taro from '@tarojs/taro';
import { Text } from '@tarojs/components';

/** Text a person must carry elsewhere (a key shown once, an embed snippet): selectable, with a copy button. */
export function CopyText({ text, button = '复制', id }: { text: string; button?: string; id?: string }) {
  return (
    <>
      <Text className="key" selectable>
        {text}
      </Text>
      <Text className="todo-btn" id={id} onClick={() => void Taro.setClipboardData({ data: text })}>
        {button}
      </Text>
    </>
  );
}
