import { useState } from 'react';
import { Input, View } from '@tarojs/components';
import { Button } from './nutui';
import { api } from '../lib/api';
import type { Lookup } from './CustomerCard';
import type { Platform } from '../lib/platform';

/** An unknown phone: create the customer and lead here (phone and city prefilled from attribution). */
export function NewCustomer({ lookup, platform, onCreated }: { lookup: Lookup; platform: Platform; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [channel, setChannel] = useState(platform === 'wecom' ? '企微好友' : platform === 'dingtalk' || platform === 'dd' ? '钉钉' : '侧边栏录入');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const create = async () => {
    setBusy(true);
    setError('');
    try {
      const a = lookup.attribution;
      await api('POST', '/api/leads', {
        phone: lookup.normalized,
        channel,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(a?.city ? { city: a.city } : {}),
        ...(a?.province ? { province: a.province } : {}),
      });
      onCreated();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card" id="new-customer">
      <View className="section-title">
        新客户 · {lookup.masked}
        {lookup.attribution?.city ? ` · ${lookup.attribution.city}` : ''}
      </View>
      <Input id="new-name" className="input" value={name} placeholder="称呼，如 王妈妈" onInput={(e) => setName(e.detail.value)} />
      <Input id="new-channel" className="input" value={channel} placeholder="渠道" onInput={(e) => setChannel(e.detail.value)} />
      {error ? <View className="error">{error}</View> : null}
      <Button id="create-customer" size="small" type="primary" fill="solid" loading={busy} onClick={create}>
        新建客户和线索
      </Button>
    </View>
  );
}
