import { createElement, useEffect, useState } from 'react';
import Taro from '@tarojs/taro';
import { Input, Text, View } from '@tarojs/components';
import {
  SOURCE_KINDS,
  SOURCE_KIND_LABELS,
  WEBHOOK_EVENTS,
  WEBHOOK_EVENT_LABELS,
  eventSourceCreateSchema,
  webhookCreateSchema,
  type SourceKind,
  type WebhookEvent,
} from '@lifeline/shared/src/integrations';
import { absoluteApiUrl, api, apiUrl, authHeader } from '../../lib/api';
import { CopyText } from '../../components/CopyText';
import { Chips } from '../../components/Chips';

interface Source {
  id: number;
  code: string;
  name: string;
  kind: SourceKind;
  active: boolean;
  url: string;
  pullUrl: string | null;
}
interface InboundItem {
  id: number;
  eventId: string;
  kind: SourceKind;
  status: string;
  reason: string | null;
  source: string | null;
  receivedAt: number;
  payload: unknown;
}
interface Webhook {
  id: number;
  url: string;
  events: WebhookEvent[];
  description: string | null;
  active: boolean;
  paused: boolean;
  pauseReason: string | null;
  last7d: Record<string, number>;
}
interface Delivery {
  id: number;
  eventType: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
}

const shortTime = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(5, 16).replace('T', ' ');

/** A secret shown once, with a copy button: only the server keeps it from now on. */
function SecretOnce({ label, secret }: { label: string; secret: string }) {
  return (
    <View className="preview" id="secret-once">
      <View className="label">{label}（只显示这一次，请立即保存）：</View>
      <CopyText text={secret} button="复制密钥" />
    </View>
  );
}

/**
 * 系统对接: business systems that send events in (sources, their secrets, the review list of parked events) and the
 * webhooks that send Lifeline's events out (subscriptions, pause state, delivery log, replay). Ops see the review list.
 */
export function IntegrationsSection({ isAdmin, onSaved }: { isAdmin: boolean; onSaved: (msg: string) => void }) {
  return (
    <View id="integrations">
      {isAdmin ? <Sources onSaved={onSaved} /> : null}
      <ReviewList onSaved={onSaved} />
      <ConsistencyReport onSaved={onSaved} />
      {isAdmin ? <Webhooks onSaved={onSaved} /> : null}
      {isAdmin ? <PartnersBlock onSaved={onSaved} /> : null}
    </View>
  );
}

function Sources({ onSaved }: { onSaved: (msg: string) => void }) {
  const [items, setItems] = useState<Source[]>([]);
  const [draft, setDraft] = useState<{ code: string; name: string; kind: SourceKind }>({ code: '', name: '', kind: 'finance' });
  const [secret, setSecret] = useState<{ label: string; secret: string } | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: Source[] }>('GET', '/api/event-sources').then(
      (r) => setItems(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
  }, []);
  const check = eventSourceCreateSchema.safeParse(draft);
  const create = async () => {
    if (!check.success) return setError(check.error.issues[0].message);
    try {
      const r = await api<Source & { secret: string }>('POST', '/api/event-sources', draft);
      setSecret({ label: `「${r.name}」的签名密钥`, secret: r.secret });
      setError('');
      onSaved(`事件来源「${r.name}」已创建`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const rotate = async (s: Source) => {
    try {
      const r = await api<{ secret: string }>('PATCH', `/api/event-sources/${s.id}`, { rotateSecret: true });
      setSecret({ label: `「${s.name}」的新签名密钥`, secret: r.secret });
      onSaved(`「${s.name}」已换新密钥，旧密钥立即失效`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <View id="event-sources">
      <View className="section-title">业务系统接入（财务回款、售后工单）</View>
      {secret ? <SecretOnce {...secret} /> : null}
      {items.length === 0 ? <View className="muted">还没有接入的业务系统</View> : null}
      {items.map((s) => (
        <View className="person" key={s.id} id={`source-${s.code}`}>
          <View className="person__main">
            <Text className="person__name">
              {s.name} · {SOURCE_KIND_LABELS[s.kind]}
              {s.active ? '' : '（已停用）'}
            </Text>
            <View className="muted break">接收地址：POST {absoluteApiUrl(s.url)}</View>
            <PullUrl source={s} onSaved={onSaved} />
          </View>
          <Text className="todo-btn" onClick={() => void rotate(s)}>
            换密钥
          </Text>
        </View>
      ))}
      <View className="label">新建来源</View>
      <Chips
        items={SOURCE_KINDS.map((k) => SOURCE_KIND_LABELS[k])}
        selected={[SOURCE_KIND_LABELS[draft.kind]]}
        onTap={(l) => setDraft({ ...draft, kind: SOURCE_KINDS.find((k) => SOURCE_KIND_LABELS[k] === l)! })}
        small
      />
      <View className="field__input">
        <Input
          id="source-code"
          className="input"
          placeholder="代码（如 kingdee）"
          value={draft.code}
          onInput={(e) => setDraft({ ...draft, code: e.detail.value })}
        />
        <Input
          id="source-name"
          className="input"
          placeholder="名称（如 金蝶财务）"
          value={draft.name}
          onInput={(e) => setDraft({ ...draft, name: e.detail.value })}
        />
      </View>
      <View className="muted">字段位置默认为 $.id、$.phone、$.amount…，可通过接口修改映射；签名方法见 docs/integrations.md。</View>
      {error ? <View className="error">{error}</View> : null}
      <Text className="todo-btn todo-btn--primary settings-save" id="source-create" onClick={() => void create()}>
        创建来源
      </Text>
    </View>
  );
}

/** Where the source answers the monthly consistency report (its own export endpoint); empty = uploads only. */
function PullUrl({ source, onSaved }: { source: Source; onSaved: (msg: string) => void }) {
  const [url, setUrl] = useState(source.pullUrl ?? '');
  const [error, setError] = useState('');
  const save = async () => {
    try {
      await api('PATCH', `/api/event-sources/${source.id}`, { pullUrl: url.trim() || null });
      setError('');
      onSaved(url.trim() ? `「${source.name}」的对账地址已保存，每月 1 日自动对账` : `「${source.name}」不再自动对账`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <View className="field__input pull-url">
      <Input className="input" id={`pull-url-${source.code}`} placeholder="对账地址（可选，https://…）" value={url} onInput={(e) => setUrl(e.detail.value)} />
      <Text className="link" onClick={() => void save()}>
        保存
      </Text>
      {error ? <View className="error">{error}</View> : null}
    </View>
  );
}

/** 待处理事件: what other systems sent that names no known customer or lead; a person picks the customer by phone. */
function ReviewList({ onSaved }: { onSaved: (msg: string) => void }) {
  const [items, setItems] = useState<InboundItem[] | null>(null);
  const [phones, setPhones] = useState<Record<number, string>>({});
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: InboundItem[] }>('GET', '/api/inbound-events?status=parked').then(
      (r) => setItems(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
  }, []);
  const resolve = async (item: InboundItem) => {
    try {
      const found = await api<{ valid: boolean; error: string | null; customer: { id: number } | null }>(
        'GET',
        `/api/customers/lookup?phone=${encodeURIComponent(phones[item.id] ?? '')}`,
      );
      if (!found.valid) return setError(found.error ?? '手机号格式不正确');
      if (!found.customer) return setError('没有这个手机号的客户');
      await api('POST', `/api/inbound-events/${item.id}/resolve`, { customerId: found.customer.id });
      onSaved(`事件 ${item.eventId} 已处理`);
      setError('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const dismiss = async (item: InboundItem) => {
    const ok = await Taro.showModal({
      title: '忽略这条事件',
      content: `事件 ${item.eventId} 将标记为已忽略（原因：人工确认无需处理），仍保留原始内容。`,
      confirmText: '忽略',
    });
    if (!ok.confirm) return;
    try {
      await api('POST', `/api/inbound-events/${item.id}/dismiss`, { reason: '人工确认无需处理' });
      onSaved(`事件 ${item.eventId} 已忽略`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <View id="review-list">
      <View className="section-title">待处理事件{items?.length ? `（${items.length}）` : ''}</View>
      {items === null ? <View className="muted">{error || '加载中…'}</View> : null}
      {items?.length === 0 ? <View className="muted">没有待处理的事件：每条推送都已对上客户</View> : null}
      {items?.map((it) => (
        <View className="preview parked" key={it.id} id={`parked-${it.id}`}>
          <View>
            <Text className="person__name">
              {it.source} · {it.eventId}
            </Text>
            <Text className="muted"> {shortTime(it.receivedAt)}</Text>
          </View>
          <View className="error">{it.reason}</View>
          <View className="muted break">{JSON.stringify(it.payload).slice(0, 160)}</View>
          <View className="field__input">
            <Input
              className="input"
              id={`parked-phone-${it.id}`}
              placeholder="客户手机号"
              value={phones[it.id] ?? ''}
              onInput={(e) => setPhones({ ...phones, [it.id]: e.detail.value })}
            />
            <Text className="todo-btn todo-btn--primary" id={`parked-resolve-${it.id}`} onClick={() => void resolve(it)}>
              记到该客户
            </Text>
            <Text className="todo-btn" onClick={() => void dismiss(it)}>
              忽略
            </Text>
          </View>
        </View>
      ))}
      {items && error ? <View className="error">{error}</View> : null}
    </View>
  );
}

function Webhooks({ onSaved }: { onSaved: (msg: string) => void }) {
  const [items, setItems] = useState<Webhook[]>([]);
  const [draft, setDraft] = useState<{ url: string; events: WebhookEvent[] }>({ url: '', events: ['lead.won'] });
  const [secret, setSecret] = useState<{ label: string; secret: string } | null>(null);
  const [open, setOpen] = useState<{ id: number; items: Delivery[] } | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: Webhook[] }>('GET', '/api/webhooks').then(
      (r) => setItems(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
  }, []);
  const act = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      setError('');
      onSaved(done);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const create = async () => {
    const check = webhookCreateSchema.safeParse(draft);
    if (!check.success) return setError(check.error.issues[0].message);
    await act(async () => {
      const r = await api<{ secret: string; url: string }>('POST', '/api/webhooks', draft);
      setSecret({ label: `发往 ${r.url} 的签名密钥`, secret: r.secret });
    }, 'Webhook 已创建');
  };
  const deliveries = async (id: number) => {
    if (open?.id === id) return setOpen(null);
    const r = await api<{ items: Delivery[] }>('GET', `/api/webhooks/${id}/deliveries`);
    setOpen({ id, items: r.items.slice(0, 10) });
  };
  const labels = WEBHOOK_EVENTS.map((e) => WEBHOOK_EVENT_LABELS[e]);
  return (
    <View id="webhooks">
      <View className="section-title">Webhook（把线索和跟进推送给其他系统）</View>
      {secret ? <SecretOnce {...secret} /> : null}
      {items.map((w) => (
        <View className={`preview webhook${w.paused ? ' webhook--paused' : ''}`} key={w.id} id={`webhook-${w.id}`}>
          <View className="break">
            <Text className="person__name">{w.url}</Text>
          </View>
          <View className="muted">
            {w.events.map((e) => WEBHOOK_EVENT_LABELS[e]).join('、')} · 近7天 送达 {w.last7d.delivered ?? 0}，待发 {w.last7d.pending ?? 0}，失败{' '}
            {w.last7d.failed ?? 0}
          </View>
          {w.paused ? <View className="error">已自动暂停：{w.pauseReason}</View> : !w.active ? <View className="muted">已停用</View> : null}
          <View className="row-buttons">
            {w.paused || !w.active ? (
              <Text
                className="todo-btn todo-btn--primary"
                id={`webhook-resume-${w.id}`}
                onClick={() => void act(() => api('PATCH', `/api/webhooks/${w.id}`, { active: true }), '已恢复发送，积压的事件会陆续送达')}
              >
                恢复发送
              </Text>
            ) : null}
            <Text className="todo-btn" onClick={() => void act(() => api('POST', `/api/webhooks/${w.id}/ping`), '测试事件已排队')}>
              发送测试
            </Text>
            <Text className="todo-btn" id={`webhook-log-${w.id}`} onClick={() => void deliveries(w.id)}>
              发送记录
            </Text>
          </View>
          {open?.id === w.id ? (
            <View className="deliveries">
              {open.items.length === 0 ? <View className="muted">还没有发送记录</View> : null}
              {open.items.map((d) => (
                <View className="delivery" key={d.id}>
                  <Text>
                    {shortTime(d.createdAt)} {d.eventType} · {{ delivered: '已送达', pending: '待发送', failed: '失败' }[d.state] ?? d.state}
                    {d.lastStatus ? `（${d.lastStatus}）` : ''}
                    {d.lastError && d.state !== 'delivered' ? ` ${d.lastError}` : ''}
                  </Text>
                  {d.state !== 'pending' ? (
                    <Text className="link" onClick={() => void act(() => api('POST', `/api/webhooks/${w.id}/deliveries/${d.id}/replay`), '已重新排队发送')}>
                      重放
                    </Text>
                  ) : null}
                </View>
              ))}
            </View>
          ) : null}
        </View>
      ))}
      <View className="label">新建 Webhook</View>
      <Input
        id="webhook-url"
        className="input"
        placeholder="接收地址（https://…）"
        value={draft.url}
        onInput={(e) => setDraft({ ...draft, url: e.detail.value })}
      />
      <Chips
        id="webhook-events"
        small
        items={labels}
        selected={draft.events.map((e) => WEBHOOK_EVENT_LABELS[e])}
        onTap={(l) => {
          const ev = WEBHOOK_EVENTS.find((e) => WEBHOOK_EVENT_LABELS[e] === l)!;
          setDraft({ ...draft, events: draft.events.includes(ev) ? draft.events.filter((x) => x !== ev) : [...draft.events, ev] });
        }}
      />
      {error ? <View className="error">{error}</View> : null}
      <Text className="todo-btn todo-btn--primary settings-save" id="webhook-create" onClick={() => void create()}>
        创建 Webhook
      </Text>
    </View>
  );
}

interface Run {
  id: number;
  source: string | null;
  origin: string;
  month: string;
  rows: number;
  checks: number;
  matched: number;
  rate: number;
  belowTarget: boolean;
  differenceCount: number;
  createdAt: number;
}
interface RunDetail extends Run {
  differences: { customerId: number | null; phone: string | null; label: string; ours: unknown; theirs: unknown }[];
}

const pct = (r: number) => `${(Math.floor(r * 10000) / 100).toFixed(2)}%`;
const shown = (v: unknown) => (v === true ? '是' : v === false ? '否' : v === null || v === undefined ? '—' : String(v));

/** 对账: the cross-system consistency KPI per run (red below 99.9 %), run now or upload the other system's export. */
function ConsistencyReport({ onSaved }: { onSaved: (msg: string) => void }) {
  const [runs, setRuns] = useState<Run[]>([]);
  const [sources, setSources] = useState<Source[]>([]);
  const [open, setOpen] = useState<RunDetail | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: Run[] }>('GET', '/api/consistency/runs').then(
      (r) => setRuns(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
    api<{ items: Source[] }>('GET', '/api/event-sources').then(
      (r) => setSources(r.items),
      () => setSources([]),
    );
  }, []);
  const upload = async (sourceId: number, file: File) => {
    try {
      const res = await fetch(apiUrl(`/api/consistency/upload?sourceId=${sourceId}`), {
        method: 'POST',
        headers: { ...authHeader(), 'content-type': 'application/octet-stream' },
        body: await file.arrayBuffer(),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `上传失败（${res.status}）`);
      setOpen(body);
      setError('');
      onSaved(`对账完成：一致率 ${pct(body.rate)}`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const finance = sources.filter((s) => s.kind === 'finance' || s.kind === 'after_sales');
  return (
    <View id="consistency">
      <View className="section-title">跨系统对账（一致率目标 ≥ 99.9%）</View>
      {runs.length === 0 ? <View className="muted">还没有对账记录：每月自动对账（设置了对账地址的来源），也可上传对方导出的表格</View> : null}
      {runs.slice(0, 6).map((r) => (
        <View className={`person consistency-run${r.belowTarget ? ' consistency-run--red' : ''}`} key={r.id} id={`run-${r.id}`}>
          <View className="person__main">
            <Text className="person__name">
              {r.source} · {r.month} · 一致率 {pct(r.rate)}
            </Text>
            <View className="muted">
              {r.rows} 位客户，比较 {r.checks} 项，不一致 {r.differenceCount} 项
            </View>
          </View>
          <Text className="todo-btn" onClick={() => void api<RunDetail>('GET', `/api/consistency/runs/${r.id}`).then(setOpen)}>
            差异
          </Text>
        </View>
      ))}
      {open ? (
        <View className="preview" id="run-differences">
          {open.differences.length === 0 ? <View className="muted">全部一致</View> : null}
          {open.differences.slice(0, 50).map((d, i) => (
            <View className="error" key={i}>
              {d.phone ?? `客户 ${d.customerId}`}：{d.label}（本系统 {shown(d.ours)}，对方 {shown(d.theirs)}）
            </View>
          ))}
        </View>
      ) : null}
      {finance.length ? <View className="label">上传对方导出的表格对账（表头：手机号、客户名称、合同金额、回款状态、服务状态）</View> : null}
      {process.env.TARO_ENV === 'h5'
        ? finance.map((s) => (
            <View className="field__input" key={s.id}>
              <Text className="map-field">{s.name}</Text>
              {createElement('input', {
                type: 'file',
                id: `consistency-file-${s.code}`,
                accept: '.xlsx,.csv',
                onChange: (e: { currentTarget: HTMLInputElement }) => {
                  const f = e.currentTarget.files?.[0];
                  if (f) void upload(s.id, f);
                },
              })}
            </View>
          ))
        : null}
      {error ? <View className="error">{error}</View> : null}
    </View>
  );
}

interface PartnerRow {
  id: number;
  name: string;
  tag: string;
  requireApproval: boolean;
  active: boolean;
}

/** 合作方 (渠道商): each with its own key (shown once) for the partner API; referrals held for approval or not. */
function PartnersBlock({ onSaved }: { onSaved: (msg: string) => void }) {
  const [items, setItems] = useState<PartnerRow[]>([]);
  const [draft, setDraft] = useState({ name: '', tag: '', requireApproval: true });
  const [secret, setSecret] = useState<{ label: string; secret: string } | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: PartnerRow[] }>('GET', '/api/partners').then(
      (r) => setItems(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
  }, []);
  const run = async (work: () => Promise<{ key?: string; name?: string } | unknown>, msg: string) => {
    try {
      const r = (await work()) as { key?: string; name?: string };
      if (r?.key) setSecret({ label: `合作方「${r.name ?? ''}」的接口密钥`, secret: r.key });
      setError('');
      onSaved(msg);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <View id="partners">
      <View className="section-title">合作方（渠道商推荐线索的接口，见 docs/integrations.md）</View>
      {secret ? <SecretOnce {...secret} /> : null}
      {items.map((p) => (
        <View className="person" key={p.id} id={`partner-${p.id}`}>
          <View className="person__main">
            <Text className="person__name">
              {p.name} · {p.tag}
              {p.active ? '' : '（已停用）'}
            </Text>
            <View className="muted">{p.requireApproval ? '推荐需主管审核' : '推荐直接进入分配'}</View>
          </View>
          <Text
            className="todo-btn"
            onClick={() =>
              void run(
                () => api('PATCH', `/api/partners/${p.id}`, { rotateKey: true }).then((r) => ({ ...(r as object), name: p.name })),
                `「${p.name}」已换新密钥`,
              )
            }
          >
            换密钥
          </Text>
          <Text
            className="todo-btn"
            onClick={() =>
              void run(() => api('PATCH', `/api/partners/${p.id}`, { active: !p.active }), p.active ? `「${p.name}」已停用` : `「${p.name}」已启用`)
            }
          >
            {p.active ? '停用' : '启用'}
          </Text>
        </View>
      ))}
      <View className="field__input">
        <Input id="partner-name" className="input" placeholder="合作方名称" value={draft.name} onInput={(e) => setDraft({ ...draft, name: e.detail.value })} />
        <Input
          id="partner-tag"
          className="input"
          placeholder="渠道标签（如 渠道商-启明教育）"
          value={draft.tag}
          onInput={(e) => setDraft({ ...draft, tag: e.detail.value })}
        />
      </View>
      <Chips
        small
        items={['推荐需主管审核', '推荐直接进入分配']}
        selected={[draft.requireApproval ? '推荐需主管审核' : '推荐直接进入分配']}
        onTap={(l) => setDraft({ ...draft, requireApproval: l === '推荐需主管审核' })}
      />
      {error ? <View className="error">{error}</View> : null}
      <Text
        className="todo-btn todo-btn--primary settings-save"
        id="partner-create"
        onClick={() => void run(() => api('POST', '/api/partners', draft), `合作方「${draft.name}」已创建`)}
      >
        创建合作方
      </Text>
    </View>
  );
}
