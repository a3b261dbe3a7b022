import { createElement, useEffect, useState } from 'react';
import { Image, Input, Text, Textarea, View } from '@tarojs/components';
import { MAPPABLE_FIELDS, RAW_LABELS, applyMapping, channelCreateSchema, normaliseLead, type FieldMapping } from '@lifeline/shared/src/intake';
import { absoluteApiUrl, api, apiUrl, authHeader } from '../../lib/api';
import { CopyText } from '../../components/CopyText';
import { Chips } from '../../components/Chips';

interface Channel {
  id: number;
  code: string;
  name: string;
  tag: string;
  kind: string;
  active: boolean;
  mapping: FieldMapping | null;
  url: string;
  form?: { enabled: boolean; title: string; allowedOrigins: string[] };
  formUrl?: string;
}

const KINDS = [
  { kind: 'api', label: '接口推送（密钥）' },
  { kind: 'oceanengine', label: '巨量引擎 SPI 订阅' },
] as const;
interface ImportJob {
  id: number;
  filename: string;
  status: string;
  total: number;
  processed: number;
  progress: number;
  created: number;
  merged: number;
  rejected: number;
  error: string | null;
  report?: { row: number; outcome: string; reason?: string; warnings?: string[] }[];
}

/** What a pasted sample payload becomes under a mapping: the lead fields, or why it would be refused. */
function tryMapping(sample: string, mapping: FieldMapping): string {
  if (!sample.trim()) return '';
  let payload: unknown;
  try {
    payload = JSON.parse(sample);
  } catch {
    return '示例不是合法的 JSON';
  }
  const r = normaliseLead(applyMapping(payload, mapping));
  if (!r.ok) return `会被拒收：${r.reason}`;
  const lead = r.lead as unknown as Record<string, unknown>;
  const shown = Object.entries(lead)
    .filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && !v.length))
    .map(([k, v]) => `${RAW_LABELS[k as keyof typeof RAW_LABELS] ?? k}：${Array.isArray(v) ? v.join('、') : String(v)}`);
  return `能接收 → ${shown.join('；')}${r.warnings.length ? `（提示：${r.warnings.join('；')}）` : ''}`;
}

/**
 * 线索渠道: channels with their intake address; a new one with a JSON-path mapping tried on a pasted sample before
 * saving; the key shown once with a copy button (only its hash is stored); rotate; and Excel/CSV import with
 * progress and the per-row report.
 */
export function ChannelsSection({ onSaved }: { onSaved: (msg: string) => void }) {
  const [channels, setChannels] = useState<Channel[]>([]);
  const [draft, setDraft] = useState<Draft>({
    code: '',
    name: '',
    tag: '',
    kind: 'api',
    secret: '',
    mapping: { phone: '$.phone', name: '$.name', city: '$.city' },
  });
  // 巨量 SPI channels sign with the subscription's secret (pasted from the console); API channels get a key from us.
  const body = draft.kind === 'oceanengine' ? draft : { code: draft.code, name: draft.name, tag: draft.tag, kind: draft.kind, mapping: draft.mapping };
  const [sample, setSample] = useState(API_SAMPLE);
  const [key, setKey] = useState<{ code: string; key: string } | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: Channel[] }>('GET', '/api/intake-channels').then(
      (r) => setChannels(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
  }, []);

  const check = channelCreateSchema.safeParse(body);
  const problem = check.success ? null : check.error.issues[0].message;
  const create = async () => {
    if (problem) return setError(problem);
    try {
      const r = await api<{ key?: string; code: string }>('POST', '/api/intake-channels', body);
      if (r.key) setKey({ code: r.code, key: r.key });
      onSaved(`渠道「${draft.name}」已创建`);
      setError('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const rotate = async (c: Channel) => {
    try {
      const r = await api<{ key: string }>('PATCH', `/api/intake-channels/${c.id}`, { rotateKey: true });
      setKey({ code: c.code, key: r.key });
      onSaved(`渠道「${c.name}」已换新密钥，旧密钥立即失效`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <View id="channels">
      {key ? (
        <View className="preview" id="channel-key">
          <View className="label">「{key.code}」的接入密钥（只显示这一次，请立即保存）：</View>
          <CopyText text={key.key} button="复制密钥" id="channel-key-copy" />
        </View>
      ) : null}
      {channels.map((c) => (
        <ChannelRow
          key={c.id}
          c={c}
          onRotate={() => void rotate(c)}
          onSaved={(m) => {
            onSaved(m);
            void load();
          }}
        />
      ))}
      <View className="label">新建渠道</View>
      <KindPicker draft={draft} setDraft={setDraft} onSample={setSample} />
      <View className="field__input">
        <Input
          id="channel-code"
          className="input"
          placeholder="代码（如 landing-0115）"
          value={draft.code}
          onInput={(e) => setDraft({ ...draft, code: e.detail.value })}
        />
        <Input id="channel-name" className="input" placeholder="名称" value={draft.name} onInput={(e) => setDraft({ ...draft, name: e.detail.value })} />
      </View>
      <Input
        id="channel-tag"
        className="input"
        placeholder="渠道标签（如 抖音-202601直播）"
        value={draft.tag}
        onInput={(e) => setDraft({ ...draft, tag: e.detail.value })}
      />
      <View className="label">字段映射（JSON 路径）</View>
      {MAPPABLE_FIELDS.map((f) => (
        <View className="field__input" key={f}>
          <Text className="map-field">{RAW_LABELS[f]}</Text>
          <Input
            className="input map-path"
            id={`map-${f}`}
            placeholder={`如 $.data.${f}`}
            value={draft.mapping[f] ?? ''}
            onInput={(e) => {
              const mapping = { ...draft.mapping };
              if (e.detail.value.trim()) mapping[f] = e.detail.value.trim();
              else delete mapping[f];
              setDraft({ ...draft, mapping });
            }}
          />
        </View>
      ))}
      <View className="label">粘贴一条示例数据试一试</View>
      <Textarea id="channel-sample" className="textarea" value={sample} maxlength={-1} onInput={(e) => setSample(e.detail.value)} />
      <View className="preview" id="channel-try">
        {tryMapping(sample, draft.mapping)}
      </View>
      {problem || error ? <View className="error">{problem ?? error}</View> : null}
      <Text className="todo-btn todo-btn--primary settings-save" id="channel-create" onClick={() => void create()}>
        创建渠道
      </Text>
      <ImportBox channels={channels} />
    </View>
  );
}

/** One channel: its name, tag and the address to give the platform; API channels can get a new key. */
function ChannelRow({ c, onRotate, onSaved }: { c: Channel; onRotate: () => void; onSaved: (msg: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <View className="person person--column" id={`channel-${c.code}`}>
      <View className="person__row">
        <View className="person__main">
          <Text className="person__name">
            {c.name} · {c.tag}
            {c.active ? '' : '（已停用）'}
            {c.form?.enabled ? ' · 网页表单已开启' : ''}
          </Text>
          <View className="muted break">
            {c.kind === 'oceanengine' ? '巨量引擎 SPI 回调地址' : '接入地址'}：POST {absoluteApiUrl(c.url)}
          </View>
        </View>
        {c.kind === 'api' ? (
          <View className="row-buttons">
            <Text className="todo-btn" id={`channel-form-${c.code}`} onClick={() => setOpen(!open)}>
              网页表单
            </Text>
            <Text className="todo-btn" onClick={onRotate}>
              换密钥
            </Text>
          </View>
        ) : null}
      </View>
      {open && c.form ? <FormSettings c={c} form={c.form} onSaved={onSaved} /> : null}
    </View>
  );
}

/** The channel's public form: on/off, title, allowed sites; once on, the link, the QR code to download and the snippet. */
function FormSettings({ c, form, onSaved }: { c: Channel; form: NonNullable<Channel['form']>; onSaved: (msg: string) => void }) {
  const [draft, setDraft] = useState({ enabled: form.enabled, title: form.title, origins: form.allowedOrigins.join('\n') });
  const [qr, setQr] = useState<{ url: string; png: string } | null>(null);
  const [error, setError] = useState('');
  const loadQr = () => api<{ url: string; png: string }>('GET', `/api/intake-channels/${c.id}/form-qr`).then(setQr, () => setQr(null));
  useEffect(() => {
    if (form.enabled) void loadQr();
  }, []);
  const save = async (enabled: boolean) => {
    const body = { form: { enabled, title: draft.title, allowedOrigins: draft.origins.split(/[\s,，]+/).filter(Boolean) } };
    try {
      await api('PATCH', `/api/intake-channels/${c.id}`, body);
      setDraft({ ...draft, enabled });
      setError('');
      onSaved(enabled ? `「${c.name}」的网页表单已开启` : `「${c.name}」的网页表单已关闭`);
      if (enabled) await loadQr();
      else setQr(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const page = absoluteApiUrl(c.formUrl ?? `/f/${c.code}`);
  const snippet = `<div id="lifeline-form"></div>\n<script src="${page}/embed.js"></script>`;
  return (
    <View className="preview form-settings" id={`form-settings-${c.code}`}>
      <Input className="input" id="form-title" placeholder="表单标题" value={draft.title} onInput={(e) => setDraft({ ...draft, title: e.detail.value })} />
      <View className="label">允许嵌入的网站（每行一个，如 https://www.example.com；本站页面总是允许）</View>
      <Textarea className="textarea" id="form-origins" value={draft.origins} onInput={(e) => setDraft({ ...draft, origins: e.detail.value })} />
      {error ? <View className="error">{error}</View> : null}
      <View className="row-buttons">
        <Text className="todo-btn todo-btn--primary" id="form-save" onClick={() => void save(true)}>
          {draft.enabled ? '保存' : '开启表单'}
        </Text>
        {draft.enabled ? (
          <Text className="todo-btn" onClick={() => void save(false)}>
            关闭表单
          </Text>
        ) : null}
      </View>
      {draft.enabled && qr ? (
        <View className="form-share">
          <Image className="form-qr" id="form-qr" src={qr.png} />
          <View className="form-share__text">
            <View className="break">
              表单地址：<Text selectable>{qr.url}</Text>
            </View>
            {process.env.TARO_ENV === 'h5'
              ? createElement('a', { className: 'link', id: 'form-qr-download', href: qr.png, download: `${c.code}-qr.png` }, '下载二维码')
              : null}
            <View className="label">嵌入自己的网页：</View>
            <CopyText text={snippet} button="复制代码" />
          </View>
        </View>
      ) : null}
    </View>
  );
}

const API_SAMPLE = '{"phone": "13915440099", "name": "样例家长", "city": "苏州"}';
const SPI_SAMPLE = '{"clue_id": "7301234567890123456", "telephone": "13915440099", "name": "样例家长", "city_name": "苏州"}';

type Draft = { code: string; name: string; tag: string; kind: 'api' | 'oceanengine'; secret: string; mapping: FieldMapping };

/** API channel (we issue a key) or 巨量引擎 SPI (the platform signs with the subscription's secret, pasted here). */
function KindPicker({ draft, setDraft, onSample }: { draft: Draft; setDraft: (d: Draft) => void; onSample: (s: string) => void }) {
  return (
    <View>
      <Chips
        id="channel-kind"
        small
        items={KINDS.map((k) => k.label)}
        selected={[KINDS.find((k) => k.kind === draft.kind)!.label]}
        onTap={(l) => {
          const kind = KINDS.find((k) => k.label === l)!.kind;
          const mapping: FieldMapping =
            kind === 'oceanengine'
              ? {
                  externalId: '$.clue_id',
                  phone: '$.telephone',
                  name: '$.name',
                  province: '$.province_name',
                  city: '$.city_name',
                  campaign: '$.promotion_name',
                }
              : { phone: '$.phone', name: '$.name', city: '$.city' };
          setDraft({ ...draft, kind, mapping });
          onSample(kind === 'oceanengine' ? SPI_SAMPLE : API_SAMPLE);
        }}
      />
      {draft.kind === 'oceanengine' ? (
        <Input
          id="channel-secret"
          className="input"
          placeholder="订阅的签名密钥（从巨量引擎开发者后台复制）"
          value={draft.secret}
          onInput={(e) => setDraft({ ...draft, secret: e.detail.value })}
        />
      ) : null}
    </View>
  );
}

/** Excel/CSV import: the file goes up as the request body; progress and the per-row report are polled. */
function ImportBox({ channels }: { channels: Channel[] }) {
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState('');
  const poll = async (id: number) => {
    for (;;) {
      const j = await api<ImportJob>('GET', `/api/imports/${id}`);
      setJob(j);
      if (j.status !== 'running') return;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const upload = async (file: File) => {
    setError('');
    try {
      const channel = channels[0]?.tag ?? '导入';
      const res = await fetch(apiUrl(`/api/imports?channel=${encodeURIComponent(channel)}&filename=${encodeURIComponent(file.name)}`), {
        method: 'POST',
        headers: { ...authHeader(), 'content-type': 'application/octet-stream' },
        body: await file.arrayBuffer(),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `上传失败（${res.status}）`);
      setJob(body);
      await poll(body.id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const rejected = job?.report?.filter((r) => r.outcome === 'rejected') ?? [];
  return (
    <View className="preview" id="import">
      <View className="label">Excel / CSV 导入（第一行为表头：手机号、称呼、城市、年级…）</View>
      {process.env.TARO_ENV === 'h5' ? (
        createElement('input', {
          type: 'file',
          id: 'import-file',
          accept: '.xlsx,.csv',
          onChange: (e: { currentTarget: HTMLInputElement }) => {
            const f = e.currentTarget.files?.[0];
            if (f) void upload(f);
          },
        })
      ) : (
        <View className="muted">请在电脑端的工作台中导入文件</View>
      )}
      {job ? (
        <View id="import-job">
          <View className="progress">
            <View className="progress__bar" style={{ width: `${job.progress}%` }} />
          </View>
          <View>
            {job.filename}：{job.processed}/{job.total} 行，新建 {job.created}，合并 {job.merged}，拒收 {job.rejected}
            {job.status === 'running' ? '（导入中…）' : job.status === 'failed' ? `（失败：${job.error}）` : '（完成）'}
          </View>
          {rejected.slice(0, 50).map((r) => (
            <View className="error" key={r.row}>
              第 {r.row} 行：{r.reason}
            </View>
          ))}
        </View>
      ) : null}
      {error ? <View className="error">{error}</View> : null}
    </View>
  );
}
