import { useEffect, useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import { api } from '../../lib/api';

interface Item {
  id: number;
  tag: string;
  title: string;
  url: string;
}

/**
 * 标签资料: tag → material (a customer tagged 摇号焦虑 gets 民办摇号攻略 queued for their rep). Each tag shows how many
 * customers carry it, so an admin sees who a mapping reaches before adding or removing it.
 */
export function ContentSection({ canEdit, onSaved }: { canEdit: boolean; onSaved: (msg: string) => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [reach, setReach] = useState<Record<string, number>>({});
  const [draft, setDraft] = useState({ tag: '', title: '', url: '' });
  const [confirm, setConfirm] = useState<number | null>(null);
  const [error, setError] = useState('');
  const load = async () => {
    const [c, v] = await Promise.all([
      api<{ items: Item[] }>('GET', '/api/content/items'),
      api<{ usage: { contentTags: Record<string, number> } }>('GET', '/api/settings/vocabulary').catch(() => ({ usage: { contentTags: {} } })),
    ]);
    setItems(c.items);
    setReach(v.usage.contentTags ?? {});
  };
  useEffect(() => {
    load().catch((e: Error) => setError(e.message));
  }, []);
  const add = async () => {
    try {
      await api('POST', '/api/content/items', { tag: draft.tag.trim(), title: draft.title.trim(), url: draft.url.trim() });
      onSaved(`已添加：标签「${draft.tag}」→「${draft.title}」`);
      setDraft({ tag: '', title: '', url: '' });
      setError('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const remove = async (i: Item) => {
    try {
      await api('DELETE', `/api/content/items/${i.id}`);
      setConfirm(null);
      onSaved(`已删除：标签「${i.tag}」→「${i.title}」`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <View id="content">
      {items.map((i) => (
        <View className="person" key={i.id} id={`content-${i.id}`}>
          <View className="person__main">
            <Text className="person__name">
              「{i.tag}」→ {i.title}
            </Text>
            <View className="muted">
              {reach[i.tag] ?? 0} 位客户带有此标签 · {i.url}
            </View>
          </View>
          {canEdit ? (
            <Text className={`todo-btn${confirm === i.id ? ' todo-btn--primary' : ''}`} onClick={() => (confirm === i.id ? void remove(i) : setConfirm(i.id))}>
              {confirm === i.id ? `确认删除（影响${reach[i.tag] ?? 0}人）` : '删除'}
            </Text>
          ) : null}
        </View>
      ))}
      {canEdit ? (
        <>
          <View className="label">新增：标签 → 资料</View>
          <View className="field__input">
            <Input
              id="content-tag"
              className="input"
              placeholder="触发标签，如 摇号焦虑"
              value={draft.tag}
              onInput={(e) => setDraft({ ...draft, tag: e.detail.value })}
            />
            <Input
              id="content-title"
              className="input"
              placeholder="资料标题"
              value={draft.title}
              onInput={(e) => setDraft({ ...draft, title: e.detail.value })}
            />
          </View>
          <Input
            id="content-url"
            className="input"
            placeholder="资料链接 https://…"
            value={draft.url}
            onInput={(e) => setDraft({ ...draft, url: e.detail.value })}
          />
          {error ? (
            <View className="error" id="content-error">
              {error}
            </View>
          ) : null}
          <Text className="todo-btn todo-btn--primary settings-save" id="content-add" onClick={() => void add()}>
            添加映射
          </Text>
        </>
      ) : null}
    </View>
  );
}
