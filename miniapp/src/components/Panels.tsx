import { useEffect, useState } from 'react';
import { Text, View } from '@tarojs/components';
import { api, ApiError } from '../lib/api';

export interface ScriptPick {
  id: number;
  scriptId: number;
  text: string;
  pickedAt: string;
}

interface ContentItem {
  id: number;
  title: string;
  url: string;
  reason: string;
}

/**
 * Panels served by other capabilities: the script picked from an alarm card and content queued for the customer's
 * tags. A panel whose endpoint is missing (404) is simply not shown.
 */
export function Panels({
  customerId,
  pick,
  onSendPick,
  canSendContent,
}: {
  customerId: number;
  pick: ScriptPick | null;
  onSendPick?: (p: ScriptPick) => Promise<void>;
  canSendContent: boolean;
}) {
  const [content, setContent] = useState<ContentItem[] | null>(null);
  const [pickSent, setPickSent] = useState(false);
  const [msg, setMsg] = useState('');

  useEffect(() => {
    setContent(null);
    api<{ items: ContentItem[] }>('GET', `/api/customers/${customerId}/content-queue`)
      .then((r) => setContent(r.items))
      .catch((e: ApiError) => (e.status === 404 ? setContent(null) : setMsg(e.message)));
  }, [customerId]);

  const sendPick = async (p: ScriptPick) => {
    try {
      if (onSendPick) await onSendPick(p);
      await api('POST', `/api/script-picks/${p.id}/sent`, {});
      setPickSent(true);
    } catch (err) {
      setMsg((err as Error).message);
    }
  };

  const sendContent = async (c: ContentItem) => {
    try {
      await api('POST', `/api/content-queue/${c.id}/sent`, {});
      setContent((content ?? []).filter((x) => x.id !== c.id));
    } catch (err) {
      setMsg((err as Error).message);
    }
  };

  return (
    <View>
      {pick ? (
        <View className="card" id="script-pick">
          <View className="section-title">选用的话术</View>
          <View className="pick-text">{pick.text}</View>
          {pickSent ? (
            <Text className="muted">已发送</Text>
          ) : (
            <Text className="link" onClick={() => void sendPick(pick)}>
              {onSendPick ? '发送到聊天' : '标记为已发送'}
            </Text>
          )}
        </View>
      ) : null}
      {content && content.length ? (
        <View className="card" id="content-queue">
          <View className="section-title">待发内容</View>
          {content.map((c) => (
            <View key={c.id} className="content-item">
              <Text>{c.title}</Text>
              <Text className="muted"> · {c.reason}</Text>
              {canSendContent ? (
                <Text className="link" onClick={() => void sendContent(c)}>
                  {' '}
                  已发送
                </Text>
              ) : null}
            </View>
          ))}
        </View>
      ) : null}
      {msg ? <View className="error">{msg}</View> : null}
    </View>
  );
}
