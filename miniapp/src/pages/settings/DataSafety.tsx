import { useEffect, useState } from 'react';
import Taro from '@tarojs/taro';
import { Input, Text, View } from '@tarojs/components';
import { api } from '../../lib/api';
import { pageQuery } from '../../lib/platform';
import { Chips } from '../../components/Chips';

interface Check {
  key: string;
  label: string;
  entity: string;
  count: number;
  total?: number;
  rate?: number;
  sampleIds: number[];
  status: 'ok' | 'warning' | 'error';
  fix?: string;
}
interface Snapshot {
  id: number;
  trigger: string;
  status: string;
  usable: boolean;
  takenAt: number | null;
  startedAt: number;
  sizeBytes: number | null;
  rowCounts: Record<string, number> | null;
  error: string | null;
}
interface UndoResult {
  dryRun: boolean;
  operationId?: string;
  selectedChanges: number;
  reverts: number;
  perField: Record<string, number>;
  conflicts: number;
  conflictList: { key: string; current: unknown; expected: unknown }[];
}
interface RestoreResult {
  dryRun: boolean;
  operationId?: string;
  tables: Record<string, { unchanged: number; changed: number; missing: number; newer: number }>;
}

const ENTITIES: { id: string; label: string }[] = [
  { id: '', label: '全部' },
  { id: 'customer', label: '客户' },
  { id: 'lead', label: '线索' },
  { id: 'followup', label: '跟进' },
  { id: 'company', label: '公司设置' },
  { id: 'app_user', label: '人员' },
  { id: 'script', label: '话术' },
  { id: 'routing_pool', label: '线索池' },
];
const ENTITY_LABEL: Record<string, string> = { ...Object.fromEntries(ENTITIES.map((e) => [e.id, e.label])), app_user: '人员', org_unit: '组织' };

const FIELD_LABEL: Record<string, string> = {
  deletedAt: '删除/恢复',
  '(新建)': '新建',
  status: '状态',
  ownerId: '负责人',
  name: '称呼',
  city: '城市',
  grade: '年级',
  journeyNode: '阶段',
  role: '角色',
  active: '在职状态',
};
/** `lead.deletedAt` → 线索 · 删除/恢复 (the raw key stays visible for anything unnamed). */
const changeLabel = (key: string) => {
  const [entity, field] = key.split('.', 2);
  return `${ENTITY_LABEL[entity] ?? entity} · ${FIELD_LABEL[field] ?? field}`;
};

/** China time as typed and shown here: 2026-01-15 14:00. */
const pad = (n: number) => String(n).padStart(2, '0');
function chinaText(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}
function isoOf(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(text.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00+08:00` : null;
}
const size = (b: number | null) => (b === null ? '—' : b > 1048576 ? `${(b / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} KB`);

/** 数据健康: each check with its count (or rate), status, fix, and the records behind it on a tap. */
function HealthPanel() {
  const [checks, setChecks] = useState<Check[] | null>(null);
  const [open, setOpen] = useState<{ key: string; ids: number[]; total: number } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ checks: Check[] }>('GET', '/api/data-health').then(
      (r) => setChecks(r.checks),
      (e: Error) => setError(e.message),
    );
  }, []);
  const drill = async (key: string) => {
    const r = await api<{ ids: number[]; total: number }>('GET', `/api/data-health/${encodeURIComponent(key)}`);
    setOpen({ key, ids: r.ids, total: r.total });
  };
  if (!checks) return <View className="muted">{error || '加载中…'}</View>;
  return (
    <View id="health">
      {checks.map((c) => (
        <View
          key={c.key}
          className={`health health--${c.status}`}
          id={`health-${c.key.replace(':', '-')}`}
          onClick={c.count ? () => void drill(c.key) : undefined}
        >
          <View className="health__head">
            <Text className="health__label">{c.label}</Text>
            <Text className="health__count">
              {c.count}
              {c.total !== undefined ? ` / ${c.total}（${Math.round((c.rate ?? 0) * 1000) / 10}%）` : ''}
            </Text>
          </View>
          {c.fix ? <View className="muted health__fix">{c.fix}</View> : null}
          {open?.key === c.key ? (
            <View className="health__ids">
              {ENTITY_LABEL[c.entity] ?? c.entity} ID：{open.ids.join('、')}
              {open.total > open.ids.length ? ` 等 ${open.total} 条` : ''}
            </View>
          ) : null}
        </View>
      ))}
    </View>
  );
}

/** 异常删除提醒: how many deletes by one person within how many minutes count as a spike (admin edits; ops read). */
function SpikeThresholds({ isAdmin, onSaved }: { isAdmin: boolean; onSaved: (msg: string) => void }) {
  const [v, setV] = useState<{ deleteSpikeCount: string; deleteSpikeMinutes: string } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ deleteSpikeCount: number; deleteSpikeMinutes: number }>('GET', '/api/settings/data-safety').then(
      (r) => setV({ deleteSpikeCount: String(r.deleteSpikeCount), deleteSpikeMinutes: String(r.deleteSpikeMinutes) }),
      (e: Error) => setError(e.message),
    );
  }, []);
  if (!v) return <View className="muted">{error || '加载中…'}</View>;
  const save = async () => {
    try {
      await api('PUT', '/api/settings/data-safety', { deleteSpikeCount: Number(v.deleteSpikeCount), deleteSpikeMinutes: Number(v.deleteSpikeMinutes) });
      setError('');
      onSaved('异常删除提醒的阈值已保存');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const field = (key: keyof typeof v, id: string) => (
    <Input className="input input--num" id={id} type="number" disabled={!isAdmin} value={v[key]} onInput={(e) => setV({ ...v, [key]: e.detail.value })} />
  );
  return (
    <View className="field" id="spike-thresholds">
      <View className="spike-row">
        <Text>同一人</Text>
        {field('deleteSpikeMinutes', 'spike-minutes')}
        <Text>分钟内删除</Text>
        {field('deleteSpikeCount', 'spike-count')}
        <Text>条即提醒管理员</Text>
      </View>
      {error ? <View className="error field__error">{error}</View> : null}
      {isAdmin ? (
        <Text className="todo-btn" id="spike-save" onClick={() => void save()}>
          保存阈值
        </Text>
      ) : null}
    </View>
  );
}

/** 撤销: whose changes, between when, of what; preview first, then one audited operation. */
function UndoPanel({ onSaved }: { onSaved: (msg: string) => void }) {
  const q = pageQuery();
  const since = Number(q.since) || Date.now() - 3600_000;
  const [people, setPeople] = useState<{ id: number; name: string }[]>([]);
  const [actorId, setActorId] = useState<number | null>(q.actorId ? Number(q.actorId) : null);
  const [from, setFrom] = useState(chinaText(since - 60_000));
  const [to, setTo] = useState(chinaText(Date.now() + 60_000));
  const [entity, setEntity] = useState('');
  const [result, setResult] = useState<UndoResult | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    void api<{ items: { id: number; name: string }[] }>('GET', '/api/users?pageSize=100').then((r) => setPeople(r.items));
  }, []);
  const run = async (dryRun: boolean) => {
    const f = isoOf(from);
    const t = isoOf(to);
    if (!f || !t) return setError('时间格式应为 2026-01-15 14:00');
    if (!dryRun) {
      const ok = await Taro.showModal({
        title: '确认撤销',
        content: `将还原 ${result?.reverts ?? 0} 处变更，作为一次可再撤销的操作记录。`,
        confirmText: '撤销',
      });
      if (!ok.confirm) return;
    }
    try {
      const body = { from: f, to: t, dryRun, ...(actorId ? { actorId } : {}), ...(entity ? { entity } : {}) };
      const r = await api<UndoResult>('POST', '/api/undo', body);
      setResult(r);
      setError('');
      if (!dryRun) onSaved(`已撤销 ${r.reverts} 处变更（操作编号 ${r.operationId}）`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const names = people.map((p) => p.name);
  const chosen = people.find((p) => p.id === actorId)?.name;
  return (
    <View id="undo">
      <View className="label">谁的操作</View>
      <Chips
        small
        id="undo-people"
        items={['任何人', ...names]}
        selected={[chosen ?? '任何人']}
        onTap={(n) => setActorId(people.find((p) => p.name === n)?.id ?? null)}
      />
      <View className="field">
        <Text className="field__label">时间段（北京时间）</Text>
        <View className="field__input">
          <Input className="input input--when" id="undo-from" value={from} onInput={(e) => setFrom(e.detail.value)} />
          <Text>至</Text>
          <Input className="input input--when" id="undo-to" value={to} onInput={(e) => setTo(e.detail.value)} />
        </View>
      </View>
      <View className="label">对象</View>
      <Chips small items={ENTITIES.map((e) => e.label)} selected={[ENTITY_LABEL[entity]]} onTap={(l) => setEntity(ENTITIES.find((e) => e.label === l)!.id)} />
      {result ? (
        <View className="undo-result" id="undo-result">
          <View>
            {result.dryRun ? '预览：' : '已完成：'}选中 {result.selectedChanges} 处变更，{result.dryRun ? '将还原' : '已还原'} {result.reverts} 处
          </View>
          {Object.entries(result.perField).map(([k, n]) => (
            <View key={k} className="muted">
              {changeLabel(k)}：{n}
            </View>
          ))}
          {result.conflicts ? <View className="error">{result.conflicts} 处之后又被别人改过，保留后来的值（可通过接口逐条选择覆盖）</View> : null}
        </View>
      ) : null}
      {error ? <View className="error">{error}</View> : null}
      <View className="row-buttons">
        <Text className="todo-btn" id="undo-preview" onClick={() => void run(true)}>
          预览
        </Text>
        <Text
          className={`todo-btn todo-btn--primary${result?.dryRun && result.reverts ? '' : ' todo-btn--off'}`}
          id="undo-run"
          onClick={() => result?.dryRun && result.reverts && void run(false)}
        >
          撤销这些变更
        </Text>
      </View>
    </View>
  );
}

/** 快照: the list, one now, and a restore previewed table by table before it runs. */
function SnapshotsPanel({ onSaved }: { onSaved: (msg: string) => void }) {
  const [items, setItems] = useState<Snapshot[] | null>(null);
  const [preview, setPreview] = useState<{ id: number; r: RestoreResult } | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api<{ items: Snapshot[] }>('GET', '/api/snapshots').then(
      (r) => setItems(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => void load(), []);
  const take = async () => {
    await api('POST', '/api/snapshots');
    onSaved('快照已完成');
    await load();
  };
  const restore = async (id: number, dryRun: boolean) => {
    try {
      if (
        !dryRun &&
        !(await Taro.showModal({ title: '确认恢复', content: '把快照中的记录写回，此后新建的记录保留。每处写入都可再撤销。', confirmText: '恢复' })).confirm
      )
        return;
      const r = await api<RestoreResult>('POST', `/api/snapshots/${id}/restore`, { dryRun });
      setPreview({ id, r });
      if (!dryRun) onSaved(`已从快照 #${id} 恢复（操作编号 ${r.operationId}）`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!items) return <View className="muted">{error || '加载中…'}</View>;
  return (
    <View id="snapshots">
      <Text className="todo-btn" id="snapshot-now" onClick={() => void take()}>
        立即快照
      </Text>
      {items.slice(0, 12).map((s) => (
        <View key={s.id} className={`snapshot${s.usable ? '' : ' snapshot--off'}`} id={`snapshot-${s.id}`}>
          <View className="snapshot__main">
            <Text>
              #{s.id} {chinaText(s.takenAt ?? s.startedAt)} · {size(s.sizeBytes)} · {s.rowCounts ? Object.values(s.rowCounts).reduce((a, b) => a + b, 0) : 0} 行
            </Text>
            <Text className="muted"> {s.usable ? (s.trigger === 'schedule' ? '定时' : '手动') : `不可用（${s.error ?? s.status}）`}</Text>
          </View>
          {s.usable ? (
            <Text className="todo-btn snapshot__btn" onClick={() => void restore(s.id, true)}>
              预览恢复
            </Text>
          ) : null}
          {preview?.id === s.id ? (
            <View className="snapshot__diff" id="restore-diff">
              {Object.values(preview.r.tables).every((t) => !t.changed && !t.missing && !t.newer) ? (
                <View className="muted">与当前数据完全一致，无需恢复</View>
              ) : null}
              {Object.entries(preview.r.tables)
                .filter(([, t]) => t.changed || t.missing || t.newer)
                .map(([name, t]) => (
                  <View key={name} className="muted">
                    {ENTITY_LABEL[name] ?? name}：改动 {t.changed}，缺失 {t.missing}，此后新建 {t.newer}（保留）
                  </View>
                ))}
              {preview.r.dryRun && Object.values(preview.r.tables).some((t) => t.changed || t.missing) ? (
                <Text className="todo-btn todo-btn--primary" id="restore-run" onClick={() => void restore(s.id, false)}>
                  恢复到此快照
                </Text>
              ) : null}
            </View>
          ) : null}
        </View>
      ))}
      {error ? <View className="error">{error}</View> : null}
    </View>
  );
}

/** 数据安全 (docs/data-safety.md): data health for admins and ops; undo and snapshots for admins. */
export function DataSafetySection({ isAdmin, onSaved }: { isAdmin: boolean; onSaved: (msg: string) => void }) {
  return (
    <View id="data-safety">
      <View className="label">数据健康</View>
      <HealthPanel />
      <View className="label">异常删除提醒</View>
      <SpikeThresholds isAdmin={isAdmin} onSaved={onSaved} />
      {isAdmin ? (
        <>
          <View className="label">撤销变更</View>
          <UndoPanel onSaved={onSaved} />
          <View className="label">快照（每 2 小时，保留 72 小时）</View>
          <SnapshotsPanel onSaved={onSaved} />
        </>
      ) : null}
    </View>
  );
}
